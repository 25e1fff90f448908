import { beijingOffsetMs } from "../beijingTime.js";
import type { Price, RatingPeriod } from "./types.js";

const dayMs = 86_400_000;

/**
 * Usage periods (free allowances, tiers) follow the calendar in Beijing, as invoices do: days and
 * months begin at midnight UTC+8. The anchor is 1970-01-01 00:00 Beijing time; on a month's last
 * day at 16:00 UTC the next month begins.
 */
export const usagePeriodAnchorMs = -beijingOffsetMs;

/** A price's usage accumulates over its allowance's period, else over the calendar month. */
export function ratingPeriodOf(price: Price): RatingPeriod {
  return price.freeAllowance?.period ?? "month";
}

/**
 * Start (inclusive, ms) of the period containing `atMs`, in UTC. Periods begin at the anchor's
 * time of day and, for months, its day of month, clamped to the month's last day as Stripe's
 * billing_cycle_anchor is (a 31st anchor starts February's period on the 28th or 29th).
 * The default anchor, 0, gives calendar months and days.
 */
export function periodStart(period: RatingPeriod, atMs: number, anchorMs = 0): number {
  assertTime(atMs, anchorMs);
  if (period === "day") return atMs - floorMod(atMs - anchorMs, dayMs);
  const at = new Date(atMs);
  const boundary = monthBoundary(at.getUTCFullYear(), at.getUTCMonth(), anchorMs);
  return boundary <= atMs ? boundary : monthBoundary(at.getUTCFullYear(), at.getUTCMonth() - 1, anchorMs);
}

/** End (exclusive, ms) of the period containing `atMs`: the next period's start. */
export function periodEnd(period: RatingPeriod, atMs: number, anchorMs = 0): number {
  assertTime(atMs, anchorMs);
  if (period === "day") return periodStart(period, atMs, anchorMs) + dayMs;
  const at = new Date(atMs);
  const boundary = monthBoundary(at.getUTCFullYear(), at.getUTCMonth(), anchorMs);
  return boundary > atMs ? boundary : monthBoundary(at.getUTCFullYear(), at.getUTCMonth() + 1, anchorMs);
}

/** The anchor's day and time of day in the given month (month may over- or underflow by one). */
function monthBoundary(year: number, month: number, anchorMs: number): number {
  const anchor = new Date(anchorMs);
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(anchor.getUTCDate(), lastDay);
  return Date.UTC(year, month, day) + floorMod(anchorMs, dayMs);
}

function floorMod(value: number, modulus: number): number {
  return ((value % modulus) + modulus) % modulus;
}

function assertTime(atMs: number, anchorMs: number): void {
  if (!Number.isSafeInteger(atMs) || !Number.isSafeInteger(anchorMs)) {
    throw new Error(`times must be integer milliseconds, got ${atMs} and ${anchorMs}`);
  }
}
