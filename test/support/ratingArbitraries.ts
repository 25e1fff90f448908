import fc from "fast-check";
import { validateRateCardPrices, type Price } from "../../domain/rating/index.js";

/** Arbitrary valid prices and quantities for the rating property tests. */

/** A decimal string of `scaled` × 10^-places without trailing zeros, e.g. (1230n, 3) → "1.23". */
export function decimalText(scaled: bigint, places: number): string {
  const digits = scaled.toString().padStart(places + 1, "0");
  if (places === 0) return digits;
  return `${digits.slice(0, -places)}.${digits.slice(-places)}`.replace(/\.?0+$/, "");
}

/** A number with up to `placesMax` decimal places in [min, unitsMax], as an integer count of 10^-places. */
function scaled(placesMax: number, minScaled: bigint, unitsMax: bigint) {
  return fc
    .integer({ min: 0, max: placesMax })
    .chain((places) =>
      fc
        .bigInt({ min: minScaled, max: unitsMax * 10n ** BigInt(places) })
        .map((value) => ({ value: value * 10n ** BigInt(placesMax - places), places: placesMax })),
    );
}

export const nanoUnits = 9;
const text = ({ value, places }: { value: bigint; places: number }) => decimalText(value, places);
export const quantityText = (unitsMax: bigint) => scaled(nanoUnits, 0n, unitsMax).map(text);
// Amounts up to 100 and quantities up to 12 × 1000 keep every period total under the amount limit.
const amountText = scaled(12, 0n, 100n).map(text);

const tiers = fc
  .array(fc.tuple(scaled(nanoUnits, 1n, 5_000n), amountText, fc.option(amountText, { nil: undefined })), {
    minLength: 1,
    maxLength: 5,
  })
  .map((drafts) => {
    // Bounds are running sums of positive steps, so they ascend strictly.
    let bound = 0n;
    return drafts.map(([step, unitAmount, flatAmount], index) => {
      bound += step.value;
      const upTo = index === drafts.length - 1 ? null : decimalText(bound, nanoUnits);
      return { upTo, unitAmount, ...(flatAmount === undefined ? {} : { flatAmount }) };
    });
  });

const allowance = fc.option(
  fc.record({ quantity: quantityText(10_000n), period: fc.constantFrom("month", "day") }),
  { nil: undefined },
);

const priceInput = fc.oneof(
  fc.record({ pricing: fc.constant("per_unit"), unitAmount: amountText }),
  fc.record({
    pricing: fc.constant("package"),
    packageSize: scaled(2, 1n, 5_000n).map(text),
    packageAmount: amountText,
    rounding: fc.constantFrom("up", "down"),
  }),
  fc.record({ pricing: fc.constant("graduated"), tiers }),
  fc.record({ pricing: fc.constant("volume"), tiers }),
);

export const price: fc.Arbitrary<Price> = fc.tuple(priceInput, allowance).map(([model, freeAllowance]) => {
  const input = { metric: "tokens", ...model, ...(freeAllowance === undefined ? {} : { freeAllowance }) };
  const result = validateRateCardPrices([input]);
  if (!result.ok) throw new Error(`generated an invalid price: ${result.message} at ${result.path}`);
  return result.value[0] as Price;
});
