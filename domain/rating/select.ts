import type { Dimensions, Price, RateCardVersion } from "./types.js";

/** Whether an event with `dimensions` falls under a price narrowed by `filters`. */
export function matchesFilters(filters: Dimensions | undefined, dimensions: Dimensions): boolean {
  if (filters === undefined) return true;
  return Object.entries(filters).every(
    ([key, value]) => Object.hasOwn(dimensions, key) && dimensions[key] === value,
  );
}

function specificity(price: Price): number {
  return price.filters === undefined ? 0 : Object.keys(price.filters).length;
}

/**
 * The price for an event: among the metric's prices whose filters the dimensions satisfy, the one with
 * the most filter keys; on a tie the first listed. Undefined means the caller answers `price_not_found`.
 */
export function selectPrice(
  version: RateCardVersion,
  metric: string,
  dimensions: Dimensions,
): Price | undefined {
  let chosen: Price | undefined;
  for (const price of version.prices) {
    if (price.metric !== metric || !matchesFilters(price.filters, dimensions)) continue;
    if (chosen === undefined || specificity(price) > specificity(chosen)) chosen = price;
  }
  return chosen;
}

/**
 * A price's identity: its metric and filters, whatever the order of keys. Unique within a version and
 * stable across versions, so period usage can be accumulated under it when a new version takes effect.
 */
export function priceKey(price: Pick<Price, "metric" | "filters">): string {
  const filters = Object.entries(price.filters ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([price.metric, filters]);
}
