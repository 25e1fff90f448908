/**
 * The ingest benchmarks' workload: one rate card (graduated tokens, per-unit tokens for one model,
 * per-unit and volume images) and 500-event batches spread over the customers `u0`…`u<n-1>`.
 */
export const ingestBatchEvents = 500;

/** The card's prices as the API takes them (`dimensions`; the rating engine calls them `filters`). */
export const ingestPrices = [
  {
    metric: "tokens_output",
    pricing: "graduated" as const,
    tiers: [
      { upTo: "100000", unitAmount: "0.00002" },
      { upTo: null, unitAmount: "0.00001" },
    ],
  },
  {
    metric: "tokens_output",
    pricing: "per_unit" as const,
    unitAmount: "0.000015",
    dimensions: { model: "deepseek-r1" },
  },
  { metric: "images", pricing: "per_unit" as const, unitAmount: "0.20", dimensions: { model: "flux" } },
  {
    metric: "images",
    pricing: "volume" as const,
    tiers: [
      { upTo: "100", unitAmount: "0.10" },
      { upTo: null, unitAmount: "0.08" },
    ],
  },
];

/** The same prices as the rating engine takes them. */
export const ingestRatingPrices = ingestPrices.map(({ dimensions, ...price }: { dimensions?: unknown }) =>
  dimensions === undefined ? price : { ...price, filters: dimensions },
);

let keyCounter = 0;

/** A batch of events with fresh keys `<runId>_<n>`: a third images, the rest tokens. */
export function ingestBatch(runId: string, customers: number) {
  const occurredAt = new Date().toISOString();
  return Array.from({ length: ingestBatchEvents }, () => {
    const n = keyCounter++;
    const image = n % 3 === 0;
    return {
      customerExternalId: `u${(n * 7919) % customers}`,
      idempotencyKey: `${runId}_${n}`,
      metric: image ? "images" : "tokens_output",
      quantity: image ? "1" : String(500 + (n % 1500)),
      occurredAt,
      dimensions: image ? { model: n % 2 ? "flux" : "sdxl", region: "cn-east" } : { model: "deepseek-r1" },
    };
  });
}
