import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rateEventDecimal } from "../domain/rating/rate.js";
import { rateEventScaled } from "../domain/rating/scaledRate.js";
import type { Price } from "../domain/rating/index.js";
import { decimalText, nanoUnits, price, quantityText } from "./support/ratingArbitraries.js";

/** Anything from a few units to past the quantity ceiling (10¹⁵), to reach both limits. */
const anyQuantity = fc.oneof(
  quantityText(1_000n),
  quantityText(100_000_000n),
  fc.bigInt({ min: 0n, max: 2n * 10n ** 24n }).map((scaled) => decimalText(scaled, nanoUnits)),
);
const malformed = fc.constantFrom("", "-1", "01", "1.", "1e3", "0.0000000001", "1".repeat(16));

/** What a rating returns, or the message it throws. */
function outcome(rate: () => unknown): unknown {
  try {
    return rate();
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

describe("scaled-integer rating", () => {
  it("rates every accepted event exactly as the Decimal path does, bit for bit", () => {
    fc.assert(
      fc.property(price, anyQuantity, anyQuantity, (given: Price, before, quantity) => {
        const reference = outcome(() => rateEventDecimal(given, before, quantity));
        const scaled = outcome(() => rateEventScaled(given, before, quantity));
        if (scaled === undefined) return;
        expect({ ok: true, value: scaled }).toEqual(reference);
      }),
      { numRuns: 3_000 },
    );
  });

  it("takes every event the Decimal path accepts, and none it refuses", () => {
    fc.assert(
      fc.property(price, fc.oneof(anyQuantity, malformed), anyQuantity, (given, before, quantity) => {
        const reference = outcome(() => rateEventDecimal(given, before, quantity));
        const accepted = (reference as { ok?: boolean }).ok === true;
        expect(rateEventScaled(given, before, quantity) !== undefined).toBe(accepted);
      }),
      { numRuns: 3_000 },
    );
  });
});
