import { beijingOffsetMs } from "../beijingTime.js";
import { periodStart } from "../rating/index.js";

export { beijingOffsetMs };

/** Instants are Unix ms from 1970 to the start of 9999, so every date prints with a four-digit year. */
export const instantMsMax = Date.UTC(9999, 0, 1) - 1;

/** Ten thousand years of monthly periods: far past any subscription, still inside Date's range. */
export const periodIndexMax = 12 * 10_000;

/**
 * Start (inclusive, ms) of monthly period `periodIndex` of a subscription anchored at `anchorMs`: the
 * anchor's Beijing day and time of day that many months on, the day clamped to the month's last day
 * (anchor Jan 31 → Feb 28 or 29 → Mar 31 → Apr 30). Always counted from the anchor, never from the
 * previous period, so a short month never pulls later periods earlier (Stripe's billing_cycle_anchor).
 */
export function monthlyPeriodStart(anchorMs: number, periodIndex: number): number {
  assertInstant(anchorMs, "anchorMs");
  assertPeriodIndex(periodIndex);
  return anchorDayMonthsOn(anchorMs, periodIndex);
}

/** End (exclusive, ms) of monthly period `periodIndex`: the next period's start. */
export function monthlyPeriodEnd(anchorMs: number, periodIndex: number): number {
  assertInstant(anchorMs, "anchorMs");
  assertPeriodIndex(periodIndex);
  return anchorDayMonthsOn(anchorMs, periodIndex + 1);
}

/** The index of the monthly period containing `atMs` (start inclusive, end exclusive). */
export function periodIndexAt(anchorMs: number, atMs: number): number {
  assertInstant(anchorMs, "anchorMs");
  assertInstant(atMs, "atMs");
  if (atMs < anchorMs) throw new RangeError(`atMs ${atMs} is before the anchor ${anchorMs}`);
  const anchor = new Date(anchorMs + beijingOffsetMs);
  const at = new Date(atMs + beijingOffsetMs);
  const monthsOn =
    (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + at.getUTCMonth() - anchor.getUTCMonth();
  // Period k starts in the k-th Beijing month after the anchor's, so `at` lies in that month's period
  // or, before that month's anchor day, in the one before.
  return anchorDayMonthsOn(anchorMs, monthsOn) <= atMs ? monthsOn : monthsOn - 1;
}

/** The Beijing calendar date of an instant, "YYYY-MM-DD", as printed on invoices. */
export function beijingDate(ms: number): string {
  assertInstant(ms, "ms");
  return new Date(ms + beijingOffsetMs).toISOString().slice(0, 10);
}

function anchorDayMonthsOn(anchorMs: number, months: number): number {
  const wallAnchorMs = anchorMs + beijingOffsetMs;
  const wallAnchor = new Date(wallAnchorMs);
  // The rating calendar already clamps an anchored month boundary; seen from the target month's last
  // millisecond, the period it starts is the one beginning in that month.
  const targetMonthLastMs =
    Date.UTC(wallAnchor.getUTCFullYear(), wallAnchor.getUTCMonth() + months + 1, 1) - 1;
  return periodStart("month", targetMonthLastMs, wallAnchorMs) - beijingOffsetMs;
}

function assertInstant(ms: number, name: string): void {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > instantMsMax) {
    throw new RangeError(`${name} must be integer Unix milliseconds in [0, ${instantMsMax}], got ${ms}`);
  }
}

function assertPeriodIndex(periodIndex: number): void {
  if (!Number.isSafeInteger(periodIndex) || periodIndex < 0 || periodIndex > periodIndexMax) {
    throw new RangeError(`periodIndex must be an integer in [0, ${periodIndexMax}], got ${periodIndex}`);
  }
}
