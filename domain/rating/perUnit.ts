import type { Decimal } from "decimal.js";
import type { PerUnitPrice, PeriodLine } from "./types.js";

export function perUnitLines(price: PerUnitPrice, billable: Decimal): PeriodLine[] {
  return [{ quantity: billable, amount: billable.times(price.unitAmount) }];
}
