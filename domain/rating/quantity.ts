import type { Decimal } from "decimal.js";
import { RatingDecimal } from "./decimal.js";
import { decimalTextFailure, parseDecimalText, type DecimalRule } from "./decimalText.js";
import { ratingLimits } from "./limits.js";
import type { RatingResult } from "./result.js";
import type { UsageQuantity } from "./types.js";

export const quantityRule: DecimalRule = {
  integerDigitsMax: ratingLimits.quantityIntegerDigitsMax,
  fractionDigitsMax: ratingLimits.quantityFractionDigitsMax,
};

export const amountRule: DecimalRule = {
  integerDigitsMax: ratingLimits.amountIntegerDigitsMax,
  fractionDigitsMax: ratingLimits.amountFractionDigitsMax,
};

/** Every quantity is below this; a period whose usage reaches it is `quantity_too_large`. */
export const quantityCeiling = new RatingDecimal(10).pow(ratingLimits.quantityIntegerDigitsMax);

export function parseQuantity(input: unknown, path: string): RatingResult<Decimal> {
  return parseDecimalText(input, quantityRule, "invalid_quantity", path);
}

/** Parses usage such as "1.50" into its canonical UsageQuantity ("1.5"). */
export function parseUsageQuantity(input: unknown, path = "quantity"): RatingResult<UsageQuantity> {
  const parsed = parseQuantity(input, path);
  return parsed.ok ? { ok: true, value: toUsageQuantity(parsed.value) } : parsed;
}

/** Whether `input` is a usage quantity parseUsageQuantity accepts: checked without building a Decimal. */
export function isUsageQuantity(input: unknown): boolean {
  return decimalTextFailure(input, quantityRule, "invalid_quantity", "quantity") === undefined;
}

/** Canonical text of a quantity rating computed; it must be within quantityRule. */
export function toUsageQuantity(quantity: Decimal): UsageQuantity {
  if (quantity.lt(0) || quantity.decimalPlaces() > quantityRule.fractionDigitsMax) {
    throw new Error(`not a usage quantity: ${quantity.toFixed()}`);
  }
  return (quantity.isZero() ? "0" : quantity.toFixed()) as UsageQuantity;
}

export function quantityDecimal(quantity: UsageQuantity): Decimal {
  return new RatingDecimal(quantity);
}
