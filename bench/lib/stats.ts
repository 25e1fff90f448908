/** Percentile of an unsorted sample (nearest rank); 0 for an empty sample. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return 0;
  const sorted = Float64Array.from(sample).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** A bounded latency sample: keeps every value up to `max`, then a uniform reservoir. */
export class Reservoir {
  readonly values: number[] = [];
  private seen = 0;
  constructor(private readonly max = 200_000) {}
  add(value: number): void {
    this.seen += 1;
    if (this.values.length < this.max) this.values.push(value);
    else {
      const slot = Math.floor(Math.random() * this.seen);
      if (slot < this.max) this.values[slot] = value;
    }
  }
}

export const round = (value: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
