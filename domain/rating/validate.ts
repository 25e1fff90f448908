import { isCurrency, currencyMinorDigits } from "./currency.js";
import { ratingLimits } from "./limits.js";
import { ratingError, type RatingResult } from "./result.js";
import { priceKey } from "./select.js";
import type { Price, RateCardVersion } from "./types.js";
import { validatePrice } from "./validatePrice.js";
import { readArray, readObject } from "./validateShape.js";

/** Checks a whole version from untrusted input; the value returned shares nothing with the input. */
export function validateRateCardVersion(input: unknown): RatingResult<RateCardVersion> {
  const fields = readObject(input, "", ["currency", "effectiveFrom", "prices"]);
  if (!fields.ok) return fields;
  const { currency, effectiveFrom, prices } = fields.value;
  if (!isCurrency(currency)) {
    const supported = Object.keys(currencyMinorDigits).join(", ");
    return ratingError("unsupported_currency", "currency", `currency must be one of ${supported}`);
  }
  if (typeof effectiveFrom !== "number" || !Number.isSafeInteger(effectiveFrom) || effectiveFrom < 0) {
    return ratingError(
      "invalid_rate_card",
      "effectiveFrom",
      "effectiveFrom must be integer milliseconds since 1970",
    );
  }
  const validPrices = validateRateCardPrices(prices);
  if (!validPrices.ok) return validPrices;
  return { ok: true, value: { currency, effectiveFrom, prices: validPrices.value } };
}

/** Checks a version's price list: each price, and no two with the same metric and filters. */
export function validateRateCardPrices(input: unknown, path = "prices"): RatingResult<Price[]> {
  const list = readArray(input, path, ratingLimits.pricesPerRateCardMax);
  if (!list.ok) return list;
  const prices: Price[] = [];
  const indexByKey = new Map<string, number>();
  for (const [index, item] of list.value.entries()) {
    const pricePath = `${path}[${index}]`;
    const price = validatePrice(item, pricePath);
    if (!price.ok) return price;
    const key = priceKey(price.value);
    const earlier = indexByKey.get(key);
    if (earlier !== undefined) {
      return ratingError(
        "duplicate_price",
        pricePath,
        `${pricePath} has the same metric and filters as ${path}[${earlier}]`,
      );
    }
    indexByKey.set(key, index);
    prices.push(price.value);
  }
  return { ok: true, value: prices };
}
