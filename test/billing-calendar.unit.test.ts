import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  beijingDate,
  instantMsMax,
  monthlyPeriodEnd,
  monthlyPeriodStart,
  periodIndexAt,
} from "../domain/billing/index.js";

const at = (iso: string) => Date.parse(iso);
const dayMs = 86_400_000;

describe("monthlyPeriodEnd", () => {
  it("clamps a 31st anchor to each month's last day for two years, keeping 10:30 Beijing time", () => {
    const anchor = at("2024-01-31T10:30:00+08:00");
    const endDates = [
      ...["2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"],
      ...["2024-08-31", "2024-09-30", "2024-10-31", "2024-11-30", "2024-12-31", "2025-01-31"],
      ...["2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30", "2025-07-31"],
      ...["2025-08-31", "2025-09-30", "2025-10-31", "2025-11-30", "2025-12-31", "2026-01-31"],
    ];
    const ends = endDates.map((_, k) => monthlyPeriodEnd(anchor, k));
    expect(ends).toEqual(endDates.map((date) => at(`${date}T10:30:00+08:00`)));
  });

  it.each([
    // Anchor day 30: February takes its last day, March goes back to the 30th.
    ["2024-01-30T09:00:00+08:00", 1, "2024-03-30T09:00:00+08:00"],
    ["2024-01-30T09:00:00+08:00", 0, "2024-02-29T09:00:00+08:00"],
    ["2024-01-30T09:00:00+08:00", 12, "2025-02-28T09:00:00+08:00"],
    // A leap-day anchor bills on the 29th, and on the 28th in common years' Februaries.
    ["2024-02-29T12:00:00+08:00", 0, "2024-03-29T12:00:00+08:00"],
    ["2024-02-29T12:00:00+08:00", 11, "2025-02-28T12:00:00+08:00"],
    ["2024-02-29T12:00:00+08:00", 12, "2025-03-29T12:00:00+08:00"],
    ["2024-02-29T12:00:00+08:00", 47, "2028-02-29T12:00:00+08:00"],
    // Gregorian centuries: 2000 was a leap year, 2100 is not.
    ["1999-01-31T00:00:00+08:00", 12, "2000-02-29T00:00:00+08:00"],
    ["2099-01-31T00:00:00+08:00", 12, "2100-02-28T00:00:00+08:00"],
    // Beijing 05:00 on the 31st is still the 30th in UTC: the Beijing day is the anchor day.
    ["2025-03-31T05:00:00+08:00", 0, "2025-04-30T05:00:00+08:00"],
    ["2025-03-31T05:00:00+08:00", 1, "2025-05-31T05:00:00+08:00"],
    // Beijing midnight on New Year's Day is still December in UTC.
    ["2025-01-01T00:00:00+08:00", 0, "2025-02-01T00:00:00+08:00"],
    ["2025-01-01T00:00:00+08:00", 11, "2026-01-01T00:00:00+08:00"],
    // The last millisecond of a Beijing day stays the last millisecond.
    ["2025-01-31T23:59:59.999+08:00", 0, "2025-02-28T23:59:59.999+08:00"],
  ])("anchor %s, period %i ends %s", (anchorIso, periodIndex, endIso) => {
    expect(monthlyPeriodEnd(at(anchorIso), periodIndex)).toBe(at(endIso));
  });

  it("counts from the anchor, so February's short period does not pull March earlier", () => {
    const anchor = at("2025-01-31T08:00:00+08:00");
    expect(monthlyPeriodEnd(anchor, 0)).toBe(at("2025-02-28T08:00:00+08:00"));
    expect(monthlyPeriodEnd(anchor, 1)).toBe(at("2025-03-31T08:00:00+08:00"));
  });

  it("starts period 0 at the anchor and every later period at the previous end", () => {
    const anchor = at("2024-08-31T18:45:12.345+08:00");
    expect(monthlyPeriodStart(anchor, 0)).toBe(anchor);
    for (let k = 1; k <= 30; k++) {
      expect(monthlyPeriodStart(anchor, k)).toBe(monthlyPeriodEnd(anchor, k - 1));
    }
  });

  it.each([
    ["a negative period index", at("2025-01-01T00:00:00Z"), -1],
    ["a fractional period index", at("2025-01-01T00:00:00Z"), 1.5],
    ["a fractional anchor", 0.5, 0],
    ["a negative anchor", -1, 0],
    ["an anchor past the limit", instantMsMax + 1, 0],
  ])("rejects %s", (_, anchorMs, periodIndex) => {
    expect(() => monthlyPeriodEnd(anchorMs, periodIndex)).toThrow(RangeError);
    expect(() => monthlyPeriodStart(anchorMs, periodIndex)).toThrow(RangeError);
  });
});

describe("periodIndexAt", () => {
  const anchor = at("2024-01-31T10:30:00+08:00");

  it.each([
    ["2024-01-31T10:30:00+08:00", 0],
    ["2024-02-29T10:29:59.999+08:00", 0],
    ["2024-02-29T10:30:00+08:00", 1],
    ["2024-03-01T00:00:00+08:00", 1],
    ["2024-03-31T10:29:59.999+08:00", 1],
    ["2024-03-31T10:30:00+08:00", 2],
    ["2025-02-28T10:30:00+08:00", 13],
    ["2026-01-31T10:29:59.999+08:00", 23],
    ["2026-01-31T10:30:00+08:00", 24],
  ])("puts %s in period %i", (atIso, index) => {
    expect(periodIndexAt(anchor, at(atIso))).toBe(index);
  });

  it("rejects an instant before the anchor", () => {
    expect(() => periodIndexAt(anchor, anchor - 1)).toThrow(RangeError);
  });

  it("finds the period whose [start, end) contains the instant", () => {
    const instant = fc.integer({ min: 0, max: at("2200-01-01T00:00:00Z") });
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 200 * 366 * dayMs }), (anchorMs, offsetMs) => {
        const atMs = anchorMs + offsetMs;
        const k = periodIndexAt(anchorMs, atMs);
        expect(monthlyPeriodStart(anchorMs, k)).toBeLessThanOrEqual(atMs);
        expect(atMs).toBeLessThan(monthlyPeriodEnd(anchorMs, k));
      }),
    );
  });

  it("keeps the anchor's time of day and never moves more than three days off the anchor's day", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: at("2200-01-01T00:00:00Z") }), fc.nat(2_400), (anchorMs, k) => {
        const endMs = monthlyPeriodEnd(anchorMs, k);
        expect((endMs - anchorMs) % dayMs).toBe(0);
        const anchorDay = Number(beijingDate(anchorMs).slice(8));
        const endDay = Number(beijingDate(endMs).slice(8));
        expect(endDay).toBeLessThanOrEqual(anchorDay);
        expect(anchorDay - endDay).toBeLessThanOrEqual(3);
      }),
    );
  });
});

describe("beijingDate", () => {
  it.each([
    ["2024-12-31T15:59:59.999Z", "2024-12-31"],
    ["2024-12-31T16:00:00.000Z", "2025-01-01"],
    ["2024-02-28T16:00:00.000Z", "2024-02-29"],
    ["1970-01-01T00:00:00.000Z", "1970-01-01"],
  ])("dates %s as %s", (iso, date) => {
    expect(beijingDate(at(iso))).toBe(date);
  });

  it("rejects a non-integer instant", () => {
    expect(() => beijingDate(Number.NaN)).toThrow(RangeError);
  });
});
