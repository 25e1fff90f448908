import type { Decimal } from "decimal.js";
import { RatingDecimal, zero } from "./decimal.js";
import { ratingLimits } from "./limits.js";
import { ratingError, type RatingResult } from "./result.js";
import type { Tier } from "./types.js";
import { fieldPath, readAmount, readArray, readObject, readQuantity } from "./validateShape.js";

const tierKeys = ["upTo", "unitAmount", "flatAmount"] as const;

/** Tiers ascend strictly by `upTo`, and only the last, which must be there, is unbounded (null). */
export function validateTiers(input: unknown, path: string): RatingResult<Tier[]> {
  const list = readArray(input, path, ratingLimits.tiersPerPriceMax);
  if (!list.ok) return list;
  const tiers: Tier[] = [];
  let previousUpTo: Decimal = zero;
  for (const [index, item] of list.value.entries()) {
    const tierPath = `${path}[${index}]`;
    const fields = readObject(item, tierPath, tierKeys);
    if (!fields.ok) return fields;
    const { upTo, unitAmount, flatAmount } = fields.value;
    const upToPath = fieldPath(tierPath, "upTo");
    const isLast = index === list.value.length - 1;
    if (upTo === undefined) {
      return ratingError("invalid_rate_card", upToPath, `${upToPath} is required (null for the last tier)`);
    }
    if (isLast !== (upTo === null)) {
      const rule = isLast ? "must be null: the last tier is unbounded" : "may be null only in the last tier";
      return ratingError("invalid_tiers", upToPath, `${upToPath} ${rule}`);
    }
    let bound: string | null = null;
    if (upTo !== null) {
      const text = readQuantity(upTo, upToPath);
      if (!text.ok) return text;
      const value = new RatingDecimal(text.value);
      if (value.lte(previousUpTo)) {
        const than = index === 0 ? "0" : "the previous tier's upTo";
        return ratingError("invalid_tiers", upToPath, `${upToPath} must be greater than ${than}`);
      }
      previousUpTo = value;
      bound = text.value;
    }
    const rate = readAmount(unitAmount, fieldPath(tierPath, "unitAmount"));
    if (!rate.ok) return rate;
    const flat =
      flatAmount === undefined ? undefined : readAmount(flatAmount, fieldPath(tierPath, "flatAmount"));
    if (flat !== undefined && !flat.ok) return flat;
    tiers.push({
      upTo: bound,
      unitAmount: rate.value,
      ...(flat === undefined ? {} : { flatAmount: flat.value }),
    });
  }
  return { ok: true, value: tiers };
}
