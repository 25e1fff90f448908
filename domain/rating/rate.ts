import { limits } from "../limits.js";
import { freeQuantityUsed } from "./allowance.js";
import { periodLineMicros, periodLines, sumMicros } from "./periodTotal.js";
import { parseQuantity, quantityCeiling, toUsageQuantity } from "./quantity.js";
import { ratingError, type RatingResult } from "./result.js";
import type { BreakdownLine, Price, RatedEvent } from "./types.js";

/**
 * Charges one event of `quantity` units, given the period's usage before it. The charge is the rise in
 * the period's rounded cumulative total, line by line:
 *   charge = Σ roundHalfUp(line(cumulativeBefore + quantity)) − Σ roundHalfUp(line(cumulativeBefore))
 * so an event's breakdown adds up to its charge and the period's charges add up to periodTotalMicros,
 * with no drift. `price` must come from validateRateCardPrices; the quantities are checked here.
 */
export function rateEvent(
  price: Price,
  cumulativeBefore: string,
  quantity: string,
): RatingResult<RatedEvent> {
  const before = parseQuantity(cumulativeBefore, "cumulativeBefore");
  if (!before.ok) return before;
  const added = parseQuantity(quantity, "quantity");
  if (!added.ok) return added;
  const after = before.value.plus(added.value);
  if (after.gte(quantityCeiling)) {
    return ratingError("quantity_too_large", "quantity", `period usage must stay below ${quantityCeiling}`);
  }

  const linesBefore = periodLines(price, before.value);
  const linesAfter = periodLines(price, after);
  const microsBefore = periodLineMicros(linesBefore);
  const microsAfter = periodLineMicros(linesAfter);
  if (sumMicros(microsAfter) > limits.amountMicrosMax) {
    return ratingError("amount_too_large", "quantity", "the period's charges would exceed the amount limit");
  }

  const breakdown: BreakdownLine[] = [];
  let chargeMicros = 0n;
  for (const [index, lineAfter] of linesAfter.entries()) {
    const lineBefore = linesBefore[index];
    const amountMicros = (microsAfter[index] ?? 0n) - (microsBefore[index] ?? 0n);
    if (lineBefore === undefined || amountMicros < 0n) {
      throw new Error(`period lines must not shrink (line ${index}); was the price validated?`);
    }
    const lineQuantity = lineAfter.quantity.minus(lineBefore.quantity);
    chargeMicros += amountMicros;
    if (lineQuantity.isZero() && amountMicros === 0n) continue;
    breakdown.push({
      ...(lineAfter.tier === undefined ? {} : { tier: lineAfter.tier }),
      quantity: toUsageQuantity(lineQuantity),
      amountMicros,
    });
  }

  return {
    ok: true,
    value: {
      chargeMicros,
      freeQuantityUsed: toUsageQuantity(freeQuantityUsed(price, before.value, added.value)),
      cumulativeAfter: toUsageQuantity(after),
      breakdown,
    },
  };
}
