/** Bounds on rate cards and usage, unit last. Rating math (decimal.ts) is exact within them. */
export const ratingLimits = {
  quantityIntegerDigitsMax: 15,
  /** Nine places carries storage GB-hours and fractional tokens without loss. */
  quantityFractionDigitsMax: 9,
  /** Below 10⁹ units, the same ceiling as limits.amountMicrosMax. */
  amountIntegerDigitsMax: 9,
  /** Twelve places prices one token below a micro-unit ("0.000000075"), like Stripe's unit_amount_decimal. */
  amountFractionDigitsMax: 12,
  pricesPerRateCardMax: 1_000,
  tiersPerPriceMax: 32,
  filtersPerPriceMax: 8,
  metricLengthMax: 128,
  dimensionKeyLengthMax: 64,
  dimensionValueLengthMax: 256,
  /** Remembered period amounts per price (rate.ts): an event's "before" is mostly an earlier "after". */
  periodMemoEntriesMax: 20_000,
} as const;
