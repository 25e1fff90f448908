import { ratingLimits } from "./limits.js";
import { RatingDecimal } from "./decimal.js";
import { ratingError, type RatingResult } from "./result.js";
import type { Dimensions, FreeAllowance, Price, PricingModel } from "./types.js";
import { validateTiers } from "./validateTiers.js";
import {
  fieldPath,
  readAmount,
  readChoice,
  readObject,
  readQuantity,
  readText,
  type Fields,
} from "./validateShape.js";

const modelKeys: Readonly<Record<PricingModel, readonly string[]>> = {
  per_unit: ["unitAmount"],
  package: ["packageSize", "packageAmount", "rounding"],
  graduated: ["tiers"],
  volume: ["tiers"],
};
const pricingModels = Object.keys(modelKeys) as PricingModel[];
const commonKeys = ["metric", "filters", "freeAllowance", "pricing"];

export function validatePrice(input: unknown, path: string): RatingResult<Price> {
  const shape = readObject(input, path);
  if (!shape.ok) return shape;
  const pricing = readChoice(shape.value.pricing, pricingModels, fieldPath(path, "pricing"));
  if (!pricing.ok) return pricing;
  const fields = readObject(input, path, [...commonKeys, ...modelKeys[pricing.value]]);
  if (!fields.ok) return fields;

  const metric = readText(fields.value.metric, fieldPath(path, "metric"), ratingLimits.metricLengthMax);
  if (!metric.ok) return metric;
  const filters = validateFilters(fields.value.filters, fieldPath(path, "filters"));
  if (!filters.ok) return filters;
  const allowance = validateAllowance(fields.value.freeAllowance, fieldPath(path, "freeAllowance"));
  if (!allowance.ok) return allowance;
  const common: PriceCommon = {
    metric: metric.value,
    ...(filters.value === undefined ? {} : { filters: filters.value }),
    ...(allowance.value === undefined ? {} : { freeAllowance: allowance.value }),
  };

  switch (pricing.value) {
    case "per_unit": {
      const unitAmount = readAmount(fields.value.unitAmount, fieldPath(path, "unitAmount"));
      return unitAmount.ok
        ? { ok: true, value: { ...common, pricing: "per_unit", unitAmount: unitAmount.value } }
        : unitAmount;
    }
    case "package":
      return validatePackage(fields.value, path, common);
    case "graduated":
    case "volume": {
      const tiers = validateTiers(fields.value.tiers, fieldPath(path, "tiers"));
      return tiers.ok
        ? { ok: true, value: { ...common, pricing: pricing.value, tiers: tiers.value } }
        : tiers;
    }
  }
}

type PriceCommon = Pick<Price, "metric" | "filters" | "freeAllowance">;

function validatePackage(fields: Fields, path: string, common: PriceCommon): RatingResult<Price> {
  const sizePath = fieldPath(path, "packageSize");
  const packageSize = readQuantity(fields.packageSize, sizePath);
  if (!packageSize.ok) return packageSize;
  if (new RatingDecimal(packageSize.value).isZero()) {
    return ratingError("invalid_quantity", sizePath, `${sizePath} must be greater than 0`);
  }
  const packageAmount = readAmount(fields.packageAmount, fieldPath(path, "packageAmount"));
  if (!packageAmount.ok) return packageAmount;
  const rounding = readChoice(fields.rounding, ["up", "down"] as const, fieldPath(path, "rounding"));
  if (!rounding.ok) return rounding;
  return {
    ok: true,
    value: {
      ...common,
      pricing: "package",
      packageSize: packageSize.value,
      packageAmount: packageAmount.value,
      rounding: rounding.value,
    },
  };
}

/** Filters are string pairs; an empty object means no filters and is dropped. */
function validateFilters(input: unknown, path: string): RatingResult<Dimensions | undefined> {
  if (input === undefined) return { ok: true, value: undefined };
  const fields = readObject(input, path);
  if (!fields.ok) return fields;
  const entries = Object.entries(fields.value);
  if (entries.length > ratingLimits.filtersPerPriceMax) {
    return ratingError(
      "invalid_rate_card",
      path,
      `${path} must have at most ${ratingLimits.filtersPerPriceMax} keys`,
    );
  }
  const filters: [string, string][] = [];
  for (const [key, value] of entries) {
    const keyPath = fieldPath(path, key);
    if (key.length === 0 || key.length > ratingLimits.dimensionKeyLengthMax) {
      return ratingError(
        "invalid_rate_card",
        keyPath,
        `filter keys must have 1 to ${ratingLimits.dimensionKeyLengthMax} characters`,
      );
    }
    const text = readText(value, keyPath, ratingLimits.dimensionValueLengthMax);
    if (!text.ok) return text;
    filters.push([key, text.value]);
  }
  // fromEntries defines own properties, so even a "__proto__" key stays a filter.
  return { ok: true, value: filters.length === 0 ? undefined : Object.fromEntries(filters) };
}

function validateAllowance(input: unknown, path: string): RatingResult<FreeAllowance | undefined> {
  if (input === undefined) return { ok: true, value: undefined };
  const fields = readObject(input, path, ["quantity", "period"]);
  if (!fields.ok) return fields;
  const quantity = readQuantity(fields.value.quantity, fieldPath(path, "quantity"));
  if (!quantity.ok) return quantity;
  const period = readChoice(fields.value.period, ["month", "day"] as const, fieldPath(path, "period"));
  if (!period.ok) return period;
  return { ok: true, value: { quantity: quantity.value, period: period.value } };
}
