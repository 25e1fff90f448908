import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseOffsetTime } from "../domain/offsetTime.js";

const zodOffsetTime = z.iso.datetime({ offset: true });

/** Strings near the form: each field drawn from valid, edge and broken values. */
const nearOffsetTimes = fc
  .tuple(
    fc.constantFrom("2026", "2024", "2100", "2000", "0001", "999", "20266"),
    fc.constantFrom("01", "02", "04", "12", "00", "13", "1"),
    fc.constantFrom("01", "28", "29", "30", "31", "00", "32", "7"),
    fc.constantFrom("T", "t", " ", ""),
    fc.constantFrom("00", "08", "23", "24", "9"),
    fc.constantFrom("00", "59", "60"),
    fc.constantFrom(":00", ":59", ":60", "", ":5"),
    fc.constantFrom("", ".1", ".123", ".123456789", "."),
    fc.constantFrom("Z", "z", "+08:00", "-05:30", "+0800", "+08", "+23:59", "+24:00", "-00:60", ""),
  )
  .map(([y, mo, d, t, h, mi, s, frac, offset]) => `${y}-${mo}-${d}${t}${h}:${mi}${s}${frac}${offset}`);

describe("parseOffsetTime", () => {
  it("reads RFC 3339 times that name their offset, to the millisecond", () => {
    expect(parseOffsetTime("2026-11-27T08:00:00Z")).toBe(Date.UTC(2026, 10, 27, 8));
    expect(parseOffsetTime("2026-11-27T16:00:00+08:00")).toBe(Date.UTC(2026, 10, 27, 8));
    expect(parseOffsetTime("2026-11-27T08:00:00.123456Z")).toBe(Date.UTC(2026, 10, 27, 8, 0, 0, 123));
    expect(parseOffsetTime("2024-02-29T00:00:00-05:30")).toBe(Date.UTC(2024, 1, 29, 5, 30));
  });

  it("refuses what Date.parse would read in the server's time zone or roll over", () => {
    for (const text of [
      "2026-11-27T08:00:00", // no offset: the server's local time
      "2026-11-27", // a date alone
      "2026-02-31T00:00:00Z", // Date.parse: March 3rd
      "2026-11-27T24:00:00Z", // Date.parse: the next day
      "2026-11-27 08:00:00Z",
      "Nov 27 2026 08:00 GMT+0800",
      "1",
      "",
    ]) {
      expect(parseOffsetTime(text), text).toBeNaN();
    }
  });

  it("accepts exactly what the API's request schemas accept", () => {
    fc.assert(
      fc.property(nearOffsetTimes, (text) => {
        expect(Number.isNaN(parseOffsetTime(text)), text).toBe(!zodOffsetTime.safeParse(text).success);
      }),
      { numRuns: 3_000 },
    );
  });
});
