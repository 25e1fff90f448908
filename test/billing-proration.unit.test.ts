import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  planChangeProration,
  prorateFen,
  prorationAmountFenMax,
  unusedFraction,
} from "../domain/billing/index.js";
import { divideRounded } from "../domain/rating/index.js";

const at = (iso: string) => Date.parse(iso);
const seconds = (unixSeconds: number) => unixSeconds * 1_000;

/**
 * Stripe's published prorations, dollars read as yuan and cents as fen. Where a source shows only the
 * unused-time line, the row checks that line alone.
 */
describe("Stripe's proration examples", () => {
  it("docs, Prorations guide: 10 USD → 20 USD halfway through the period bills −5 and +10, net +5", () => {
    // A 30-day Beijing month, changed at its midpoint.
    const change = {
      oldAmountFen: 1_000n,
      newAmountFen: 2_000n,
      periodStart: at("2025-04-01T00:00:00+08:00"),
      periodEnd: at("2025-05-01T00:00:00+08:00"),
      at: at("2025-04-16T00:00:00+08:00"),
    };
    expect(planChangeProration(change)).toEqual({
      unusedCreditFen: 500n,
      remainingChargeFen: 1_000n,
      netFen: 500n,
    });
  });

  it.each([
    // Upcoming-invoice response in a public gist (matthewarkin, March 2017): "Unused time on monthly
    // widgets after 03 Mar 2017", amount −364, plan 1000, period 1488568488–1489449600. The billing
    // period's start is not in the excerpt: one month before its end, 2017-02-14T00:00Z, is inferred.
    ["gist matthewarkin/27bcfdf6 (2017)", 1_000n, 1487030400, 1489449600, 1488568488, 364n],
    // Upcoming-invoice response on pastebin Rxuk5FLW (May 2018): "Unused time on Base after 16 May
    // 2018", amount −998, plan 1000, period 1526487083–1529161019. Start inferred as one 31-day
    // month before the end, 1526482619 (2018-05-16T14:56:59Z).
    ["pastebin Rxuk5FLW (2018)", 1_000n, 1526482619, 1529161019, 1526487083, 998n],
  ])("API response, %s: credits %s fen × unused time", (_, amountFen, start, end, change, creditFen) => {
    expect(prorateFen(amountFen, seconds(start), seconds(end), seconds(change))).toBe(creditFen);
  });
});

describe("prorateFen", () => {
  const start = seconds(1_700_000_000);

  it.each([
    // amount, period seconds, unused seconds, fen
    [1_000n, 100, 100, 1_000n], // at the period's start: all of it
    [1_000n, 100, 0, 0n], // at its end: nothing
    [1n, 2, 1, 1n], // exactly half a fen rounds up
    [13n, 26, 17, 9n], // 8.5 exactly: 17/26 rounded to 64 digits first, then × 13, gives 8.4999… and 8
    [999n, 3, 1, 333n],
    [1_000n, 3, 1, 333n], // 333.33…
    [2_000n, 3, 1, 667n], // 666.66…
    [9_900n, 2_592_000, 1_296_001, 4_950n], // 4950.0019…
    [prorationAmountFenMax, 2, 1, prorationAmountFenMax / 2n],
  ])("%s fen with %i s of which %i s unused is %s fen", (amountFen, periodSeconds, unusedSeconds, fen) => {
    const end = start + seconds(periodSeconds);
    expect(prorateFen(amountFen, start, end, end - seconds(unusedSeconds))).toBe(fen);
  });

  it("prorates to the second, truncating milliseconds", () => {
    // 10.999 s → 10 s; 5.999 s → 5 s: exactly half, where milliseconds would give 54.5 fen.
    expect(prorateFen(100n, 0, 10_999, 5_999)).toBe(50n);
    expect(unusedFraction(0, 10_999, 5_999).toString()).toBe("0.5");
    expect(prorateFen(100n, 0, 10_999, 10_500)).toBe(0n);
  });

  it.each([
    ["an empty period", 100n, 1_000, 1_000, 1_000],
    ["an end before the start", 100n, 2_000, 1_000, 1_500],
    ["a period shorter than a whole second", 100n, 1_000, 1_500, 1_200],
    ["a change before the period", 100n, 1_000, 5_000, 999],
    ["a change after the period", 100n, 1_000, 5_000, 5_001],
    ["a negative amount", -1n, 1_000, 5_000, 2_000],
    ["an amount over the limit", prorationAmountFenMax + 1n, 1_000, 5_000, 2_000],
    ["a fractional instant", 100n, 1_000, 5_000, 2_000.5],
  ])("rejects %s", (_, amountFen, startMs, endMs, atMs) => {
    expect(() => prorateFen(amountFen, startMs, endMs, atMs)).toThrow(RangeError);
  });
});

describe("planChangeProration", () => {
  const periodStart = at("2025-04-01T00:00:00+08:00");
  const periodEnd = at("2025-05-01T00:00:00+08:00");
  const midpoint = at("2025-04-16T00:00:00+08:00");

  it.each([
    ["a downgrade credits", 2_000n, 1_000n, midpoint, 1_000n, 500n, -500n],
    ["no change nets nothing", 1_000n, 1_000n, midpoint, 500n, 500n, 0n],
    [
      "a change at the period's start swaps whole prices",
      1_000n,
      2_500n,
      periodStart,
      1_000n,
      2_500n,
      1_500n,
    ],
    ["a change at the period's end nets nothing", 1_000n, 2_500n, periodEnd, 0n, 0n, 0n],
    // Each line rounds on its own: 0.5 → 1 and 1 → 1, where the difference alone would be 0.5 → 1.
    ["lines round separately", 1n, 2n, midpoint, 1n, 1n, 0n],
  ])("%s", (_, oldAmountFen, newAmountFen, changeAt, unusedCreditFen, remainingChargeFen, netFen) => {
    expect(planChangeProration({ oldAmountFen, newAmountFen, periodStart, periodEnd, at: changeAt })).toEqual(
      { unusedCreditFen, remainingChargeFen, netFen },
    );
  });

  it("rejects a negative old or new amount", () => {
    const change = { oldAmountFen: 100n, newAmountFen: 100n, periodStart, periodEnd, at: midpoint };
    expect(() => planChangeProration({ ...change, oldAmountFen: -1n })).toThrow(RangeError);
    expect(() => planChangeProration({ ...change, newAmountFen: -1n })).toThrow(RangeError);
  });
});

describe("proration properties", () => {
  const amountFen = fc.bigInt({ min: 0n, max: prorationAmountFenMax });
  /** A period of whole seconds (up to a year) and a whole second inside it, as offsets in seconds. */
  const period = fc
    .integer({ min: 1, max: 366 * 86_400 })
    .chain((length) =>
      fc.record({ length: fc.constant(length), elapsed: fc.integer({ min: 0, max: length }) }),
    );
  const start = seconds(1_700_000_000);

  it("matches exact integer division rounded half up", () => {
    fc.assert(
      fc.property(amountFen, period, (amount, { length, elapsed }) => {
        const unused = BigInt(length - elapsed);
        const expected = divideRounded(amount * unused, BigInt(length), "half_up");
        expect(prorateFen(amount, start, start + seconds(length), start + seconds(elapsed))).toBe(expected);
      }),
    );
  });

  it("splits the amount into unused and used parts that sum to it within 1 fen", () => {
    fc.assert(
      fc.property(amountFen, period, (amount, { length, elapsed }) => {
        const end = start + seconds(length);
        const unused = prorateFen(amount, start, end, start + seconds(elapsed));
        // The used part is the unused part of the mirrored change: `elapsed` seconds before the end.
        const used = prorateFen(amount, start, end, end - seconds(elapsed));
        const gap = unused + used - amount;
        expect(gap >= 0n && gap <= 1n).toBe(true);
        const fraction = unusedFraction(start, end, start + seconds(elapsed));
        expect(fraction.gte(0) && fraction.lte(1)).toBe(true);
      }),
    );
  });

  it("never grows as the change moves later", () => {
    fc.assert(
      fc.property(amountFen, period, fc.nat(), (amount, { length, elapsed }, later) => {
        const end = start + seconds(length);
        const first = start + seconds(elapsed);
        const second = first + seconds(later % (length - elapsed + 1));
        expect(prorateFen(amount, start, end, second) <= prorateFen(amount, start, end, first)).toBe(true);
      }),
    );
  });

  it("nets a charge for an upgrade, a credit for a downgrade, nothing for the same price", () => {
    fc.assert(
      fc.property(amountFen, amountFen, period, (oldAmountFen, newAmountFen, { length, elapsed }) => {
        const { unusedCreditFen, remainingChargeFen, netFen } = planChangeProration({
          oldAmountFen,
          newAmountFen,
          periodStart: start,
          periodEnd: start + seconds(length),
          at: start + seconds(elapsed),
        });
        expect(netFen).toBe(remainingChargeFen - unusedCreditFen);
        if (newAmountFen > oldAmountFen) expect(netFen >= 0n).toBe(true);
        if (newAmountFen < oldAmountFen) expect(netFen <= 0n).toBe(true);
        if (newAmountFen === oldAmountFen) expect(netFen).toBe(0n);
        if (elapsed === 0) expect(netFen).toBe(newAmountFen - oldAmountFen);
      }),
    );
  });
});
