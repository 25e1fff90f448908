import type { Decimal } from "decimal.js";
import { billableQuantity } from "./allowance.js";
import { graduatedLines } from "./graduated.js";
import { packageLines } from "./package.js";
import { perUnitLines } from "./perUnit.js";
import { quantityDecimal } from "./quantity.js";
import { roundToMicros } from "./rounding.js";
import type { PeriodLine, Price, UsageQuantity } from "./types.js";
import { volumeLines } from "./volume.js";

/** The price's cumulative amount for `cumulative` units of period usage, allowance taken off first. */
export function periodLines(price: Price, cumulative: Decimal): PeriodLine[] {
  const billable = billableQuantity(price, cumulative);
  switch (price.pricing) {
    case "per_unit":
      return perUnitLines(price, billable);
    case "package":
      return packageLines(price, billable);
    case "graduated":
      return graduatedLines(price, billable);
    case "volume":
      return volumeLines(price, billable);
  }
}

/** Each line rounded to micros, so an invoice's tier lines always add up to its total. */
export function periodLineMicros(lines: readonly PeriodLine[]): bigint[] {
  return lines.map((line) => roundToMicros(line.amount));
}

export function sumMicros(values: readonly bigint[]): bigint {
  return values.reduce((total, value) => total + value, 0n);
}

/**
 * What the period's events have been charged in all once its usage reaches `cumulative`: per-event
 * charges are differences of this, so they add up to it exactly however the usage was split.
 */
export function periodTotalMicros(price: Price, cumulative: UsageQuantity): bigint {
  return sumMicros(periodLineMicros(periodLines(price, quantityDecimal(cumulative))));
}
