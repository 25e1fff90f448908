import { limits } from "../limits.js";
import { freeQuantityUsed } from "./allowance.js";
import { periodLineMicros, periodLines, sumMicros } from "./periodTotal.js";
import { parseQuantity, quantityCeiling, toUsageQuantity } from "./quantity.js";
import { ratingError, type RatingResult } from "./result.js";
import type { Decimal } from "decimal.js";
import { ratingLimits } from "./limits.js";
import { rateEventScaled } from "./scaledRate.js";
import type { BreakdownLine, PeriodLine, Price, RatedEvent } from "./types.js";

/**
 * Charges one event of `quantity` units, given the period's usage before it. The charge is the change in
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
  const scaled = rateEventScaled(price, cumulativeBefore, quantity);
  return scaled === undefined
    ? rateEventDecimal(price, cumulativeBefore, quantity)
    : { ok: true, value: scaled };
}

/** rateEvent in Decimal arithmetic: the definition, and every error; scaledRate.ts is its fast path. */
export function rateEventDecimal(
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

  const cumulativeAfter = toUsageQuantity(after);
  const { lines: linesBefore, micros: microsBefore } = periodAt(price, before.value, cumulativeBefore);
  const { lines: linesAfter, micros: microsAfter } = periodAt(price, after, cumulativeAfter);
  if (sumMicros(microsAfter) > limits.amountMicrosMax) {
    return ratingError("amount_too_large", "quantity", "the period's charges would exceed the amount limit");
  }

  const breakdown: BreakdownLine[] = [];
  let chargeMicros = 0n;
  for (const [index, lineAfter] of linesAfter.entries()) {
    const lineBefore = linesBefore[index];
    const amountMicros = (microsAfter[index] ?? 0n) - (microsBefore[index] ?? 0n);
    // A volume line's amount may fall (a cheaper tier reached: a credit); no line's quantity does.
    const lineQuantity = lineBefore === undefined ? undefined : lineAfter.quantity.minus(lineBefore.quantity);
    if (lineQuantity === undefined || lineQuantity.isNegative()) {
      throw new Error(`period lines must not shrink (line ${index}); was the price validated?`);
    }
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
      cumulativeAfter,
      breakdown,
    },
  };
}

interface PeriodAt {
  lines: PeriodLine[];
  micros: bigint[];
}

/**
 * The period's lines at a cumulative usage, remembered per price: pure, so remembering changes
 * nothing but time — one event's "after" is the next event's "before" on the same counter.
 * Insertion order is the eviction order; `text` must denote `cumulative`.
 */
const periodMemo = new WeakMap<Price, Map<string, PeriodAt>>();

function periodAt(price: Price, cumulative: Decimal, text: string): PeriodAt {
  let memo = periodMemo.get(price);
  if (memo === undefined) {
    memo = new Map();
    periodMemo.set(price, memo);
  }
  const known = memo.get(text);
  if (known !== undefined) return known;
  const lines = periodLines(price, cumulative);
  const computed = { lines, micros: periodLineMicros(lines) };
  if (memo.size >= ratingLimits.periodMemoEntriesMax) {
    const oldest = memo.keys().next();
    if (oldest.done !== true) memo.delete(oldest.value);
  }
  memo.set(text, computed);
  return computed;
}
