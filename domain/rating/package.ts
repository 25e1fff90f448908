import type { Decimal } from "decimal.js";
import type { PackagePrice, PeriodLine } from "./types.js";

/** Packages count the period's cumulative usage, so a started package is charged once, not per event. */
export function packageCount(price: PackagePrice, billable: Decimal): Decimal {
  const whole = billable.divToInt(price.packageSize);
  const started = !billable.mod(price.packageSize).isZero();
  return price.rounding === "up" && started ? whole.plus(1) : whole;
}

export function packageLines(price: PackagePrice, billable: Decimal): PeriodLine[] {
  return [{ quantity: billable, amount: packageCount(price, billable).times(price.packageAmount) }];
}
