import { describe, expect, it } from "vitest";
import {
  divideRounded,
  microsToMinorUnits,
  minorUnitsToMicros,
  periodEnd,
  periodStart,
  ratingPeriodOf,
  usagePeriodAnchorMs,
  type Currency,
  type Price,
} from "../domain/rating/index.js";

const at = (iso: string) => Date.parse(iso);

describe("periodStart and periodEnd", () => {
  it.each([
    ["month", "2025-03-15T10:00:00Z", undefined, "2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"],
    ["month", "2025-03-01T00:00:00Z", undefined, "2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"],
    ["month", "2025-02-28T23:59:59.999Z", undefined, "2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z"],
    ["month", "2025-12-31T12:00:00Z", undefined, "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z"],
    ["day", "2025-03-15T10:00:00Z", undefined, "2025-03-15T00:00:00Z", "2025-03-16T00:00:00Z"],
    ["day", "2025-03-15T00:00:00Z", undefined, "2025-03-15T00:00:00Z", "2025-03-16T00:00:00Z"],
    // Days anchored at 16:00 UTC, midnight in China.
    ["day", "2025-03-15T10:00:00Z", "2025-01-01T16:00:00Z", "2025-03-14T16:00:00Z", "2025-03-15T16:00:00Z"],
    ["day", "2025-03-15T16:00:00Z", "2025-01-01T16:00:00Z", "2025-03-15T16:00:00Z", "2025-03-16T16:00:00Z"],
    // Months anchored on the 31st end early in short months, like Stripe's billing cycle anchor.
    ["month", "2025-02-15T00:00:00Z", "2025-01-31T00:00:00Z", "2025-01-31T00:00:00Z", "2025-02-28T00:00:00Z"],
    ["month", "2025-03-01T00:00:00Z", "2025-01-31T00:00:00Z", "2025-02-28T00:00:00Z", "2025-03-31T00:00:00Z"],
    ["month", "2024-03-01T00:00:00Z", "2025-01-31T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z"],
    ["month", "2026-01-05T00:00:00Z", "2025-06-10T08:30:00Z", "2025-12-10T08:30:00Z", "2026-01-10T08:30:00Z"],
    [
      "month",
      "2025-06-10T08:29:59.999Z",
      "2025-06-10T08:30:00Z",
      "2025-05-10T08:30:00Z",
      "2025-06-10T08:30:00Z",
    ],
  ] as const)("%s containing %s (anchor %s) is [%s, %s)", (period, atIso, anchorIso, startIso, endIso) => {
    const anchorMs = anchorIso === undefined ? undefined : at(anchorIso);
    expect(new Date(periodStart(period, at(atIso), anchorMs)).toISOString()).toBe(
      new Date(startIso).toISOString(),
    );
    expect(new Date(periodEnd(period, at(atIso), anchorMs)).toISOString()).toBe(
      new Date(endIso).toISOString(),
    );
  });

  it.each([
    // A month begins at midnight in Beijing: 16:00 UTC on the last day of the month before.
    ["month", "2025-02-28T16:00:00Z", "2025-02-28T16:00:00Z", "2025-03-31T16:00:00Z"],
    ["month", "2025-02-28T15:59:59.999Z", "2025-01-31T16:00:00Z", "2025-02-28T16:00:00Z"],
    ["month", "2025-03-01T00:00:00Z", "2025-02-28T16:00:00Z", "2025-03-31T16:00:00Z"],
    ["month", "2024-02-29T12:00:00Z", "2024-01-31T16:00:00Z", "2024-02-29T16:00:00Z"],
    ["month", "2025-12-31T20:00:00Z", "2025-12-31T16:00:00Z", "2026-01-31T16:00:00Z"],
    ["month", "2025-04-30T15:00:00Z", "2025-03-31T16:00:00Z", "2025-04-30T16:00:00Z"],
    ["day", "2025-03-15T10:00:00Z", "2025-03-14T16:00:00Z", "2025-03-15T16:00:00Z"],
    ["day", "2025-03-15T16:00:00Z", "2025-03-15T16:00:00Z", "2025-03-16T16:00:00Z"],
  ] as const)(
    "the usage %s containing %s is [%s, %s): Beijing's calendar",
    (period, atIso, startIso, endIso) => {
      expect(new Date(periodStart(period, at(atIso), usagePeriodAnchorMs)).toISOString()).toBe(
        new Date(startIso).toISOString(),
      );
      expect(new Date(periodEnd(period, at(atIso), usagePeriodAnchorMs)).toISOString()).toBe(
        new Date(endIso).toISOString(),
      );
    },
  );

  it("treats a time that is not integer milliseconds as a programmer error", () => {
    expect(() => periodStart("day", 1.5)).toThrow();
    expect(() => periodEnd("month", Number.NaN)).toThrow();
  });

  it("accumulates a price over its allowance's period, else over the month", () => {
    const base = { metric: "tokens", pricing: "per_unit", unitAmount: "1" } as const;
    const daily: Price = { ...base, freeAllowance: { quantity: "10", period: "day" } };
    expect(ratingPeriodOf(base)).toBe("month");
    expect(ratingPeriodOf(daily)).toBe("day");
  });
});

describe("microsToMinorUnits", () => {
  it.each([
    [1_234_567n, "CNY", "half_up", 123n],
    [1_235_000n, "CNY", "half_up", 124n],
    [1_225_000n, "CNY", "half_up", 123n],
    [1_225_000n, "CNY", "half_even", 122n],
    [1_235_000n, "CNY", "half_even", 124n],
    [1_230_001n, "USD", "up", 124n],
    [1_239_999n, "USD", "down", 123n],
    [-1_235_000n, "EUR", "half_up", -124n],
    [-1_230_001n, "GBP", "down", -123n],
    [1_500_000n, "JPY", "half_up", 2n],
    [2_500_000n, "JPY", "half_even", 2n],
    [499_999n, "JPY", "half_up", 0n],
    [0n, "THB", "up", 0n],
  ] as const)("turns %s micros of %s (%s) into %s minor units", (micros, currency, mode, expected) => {
    expect(microsToMinorUnits(micros, currency, mode)).toBe(expected);
  });

  it("converts minor units back exactly", () => {
    expect(minorUnitsToMicros(149_00n, "CNY")).toBe(149_000_000n);
    expect(minorUnitsToMicros(500n, "JPY")).toBe(500_000_000n);
  });

  it("treats an unsupported currency as a programmer error", () => {
    expect(() => microsToMinorUnits(1n, "XYZ" as Currency, "half_up")).toThrow();
  });
});

describe("divideRounded", () => {
  it.each([
    [7n, 2n, "half_even", 4n],
    [5n, 2n, "half_even", 2n],
    [-5n, 2n, "half_even", -2n],
    [-7n, 2n, "half_up", -4n],
    [-7n, 3n, "up", -3n],
    [-7n, 3n, "down", -2n],
    [6n, 3n, "up", 2n],
  ] as const)("divides %s by %s (%s) as %s", (numerator, divisor, mode, expected) => {
    expect(divideRounded(numerator, divisor, mode)).toBe(expected);
  });

  it("rejects a divisor that is not positive", () => {
    expect(() => divideRounded(1n, 0n, "down")).toThrow();
  });
});
