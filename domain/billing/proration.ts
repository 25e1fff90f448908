import { Decimal } from "decimal.js";
import { limits } from "../limits.js";
import { microsPerFen } from "../money.js";

/**
 * A prorated line is the exact amount × unused fraction rounded once to whole fen, half up
 * (amounts are never negative, so half up is half away from zero).
 */
export const prorationRounding = Decimal.ROUND_HALF_UP;

/** The largest price prorated: the ledger's amount limit in fen. */
export const prorationAmountFenMax = limits.amountMicrosMax / microsPerFen;

/** amountFen (≤ 10¹⁴) × seconds (< 10¹²) has under 30 digits, so 64 keep every product exact. */
const ProrationDecimal = Decimal.clone({ precision: 64, rounding: prorationRounding });

const msPerSecond = 1_000;

/**
 * (periodEnd − at) / (periodEnd − periodStart), each instant first truncated to whole Unix seconds,
 * since Stripe prorates to the second.
 */
export function unusedFraction(periodStartMs: number, periodEndMs: number, atMs: number): Decimal {
  const { unusedSeconds, periodSeconds } = prorationSeconds(periodStartMs, periodEndMs, atMs);
  return new ProrationDecimal(unusedSeconds).dividedBy(periodSeconds);
}

/** The part of `amountFen` for the unused rest of the period, rounded by prorationRounding. */
export function prorateFen(
  amountFen: bigint,
  periodStartMs: number,
  periodEndMs: number,
  atMs: number,
): bigint {
  assertAmount(amountFen, "amountFen");
  const { unusedSeconds, periodSeconds } = prorationSeconds(periodStartMs, periodEndMs, atMs);
  // Multiplying before dividing keeps an exact half exact, so the rounding sees it as a half.
  const exactFen = new ProrationDecimal(amountFen.toString()).times(unusedSeconds).dividedBy(periodSeconds);
  return BigInt(exactFen.toFixed(0, prorationRounding));
}

export interface PlanChange {
  oldAmountFen: bigint;
  newAmountFen: bigint;
  periodStart: number;
  periodEnd: number;
  /** When the change takes effect, ms. */
  at: number;
}

/** The proration lines of a mid-period price change, each rounded on its own as Stripe itemizes them. */
export interface PlanChangeProration {
  /** Credit for the unused time on the old price. */
  unusedCreditFen: bigint;
  /** Charge for the remaining time on the new price. */
  remainingChargeFen: bigint;
  /** remainingChargeFen − unusedCreditFen: positive an upgrade owes, negative a downgrade credits. */
  netFen: bigint;
}

export function planChangeProration(change: PlanChange): PlanChangeProration {
  const { oldAmountFen, newAmountFen, periodStart, periodEnd, at } = change;
  assertAmount(oldAmountFen, "oldAmountFen");
  assertAmount(newAmountFen, "newAmountFen");
  const unusedCreditFen = prorateFen(oldAmountFen, periodStart, periodEnd, at);
  const remainingChargeFen = prorateFen(newAmountFen, periodStart, periodEnd, at);
  return { unusedCreditFen, remainingChargeFen, netFen: remainingChargeFen - unusedCreditFen };
}

function prorationSeconds(
  periodStartMs: number,
  periodEndMs: number,
  atMs: number,
): { unusedSeconds: number; periodSeconds: number } {
  for (const [name, ms] of [
    ["periodStart", periodStartMs],
    ["periodEnd", periodEndMs],
    ["at", atMs],
  ] as const) {
    if (!Number.isSafeInteger(ms)) throw new RangeError(`${name} must be integer milliseconds, got ${ms}`);
  }
  if (periodStartMs >= periodEndMs) {
    throw new RangeError(`periodStart ${periodStartMs} must be before periodEnd ${periodEndMs}`);
  }
  if (atMs < periodStartMs || atMs > periodEndMs) {
    throw new RangeError(`at ${atMs} must be within the period [${periodStartMs}, ${periodEndMs}]`);
  }
  const startSeconds = Math.floor(periodStartMs / msPerSecond);
  const endSeconds = Math.floor(periodEndMs / msPerSecond);
  if (startSeconds === endSeconds) {
    throw new RangeError(`the period [${periodStartMs}, ${periodEndMs}] must span a whole second`);
  }
  return {
    unusedSeconds: endSeconds - Math.floor(atMs / msPerSecond),
    periodSeconds: endSeconds - startSeconds,
  };
}

function assertAmount(amountFen: bigint, name: string): void {
  if (amountFen < 0n || amountFen > prorationAmountFenMax) {
    throw new RangeError(`${name} must be in [0, ${prorationAmountFenMax}] fen, got ${amountFen}`);
  }
}
