import type { Decimal } from "decimal.js";
import { RatingDecimal, zero } from "./decimal.js";
import type { GraduatedPrice, PeriodLine } from "./types.js";

/** One line per tier: the units of `billable` that fall in it, at its rate, plus its flat amount if entered. */
export function graduatedLines(price: GraduatedPrice, billable: Decimal): PeriodLine[] {
  const lines: PeriodLine[] = [];
  let lowerBound = zero;
  for (const [tier, { upTo, unitAmount, flatAmount }] of price.tiers.entries()) {
    const upperBound = upTo === null ? billable : RatingDecimal.min(billable, upTo);
    const quantity = RatingDecimal.max(zero, upperBound.minus(lowerBound));
    const flat = quantity.isZero() ? 0 : (flatAmount ?? 0);
    lines.push({ tier, quantity, amount: quantity.times(unitAmount).plus(flat) });
    if (upTo !== null) lowerBound = new RatingDecimal(upTo);
  }
  return lines;
}
