import {
  periodEnd,
  periodStart,
  priceKey,
  ratingPeriodOf,
  usagePeriodAnchorMs,
  type Price,
} from "../domain/rating/index.js";

interface KnownCounter {
  key: string;
  start: number;
  end: number;
  counter: string;
}

/**
 * The wallet usage counter an event adds to: `<price key>@<start of the price's period at occurredAt>`
 * (periods in Beijing time).
 * Remembered per price for one batch, whose events mostly share their prices and periods.
 */
export class UsageCounters {
  private readonly known = new Map<Price, KnownCounter>();

  counterOf(price: Price, occurredAt: number): string {
    const known = this.known.get(price);
    if (known !== undefined && occurredAt >= known.start && occurredAt < known.end) return known.counter;
    const period = ratingPeriodOf(price);
    const start = periodStart(period, occurredAt, usagePeriodAnchorMs);
    const key = known?.key ?? priceKey(price);
    const counter = `${key}@${start}`;
    this.known.set(price, { key, start, end: periodEnd(period, occurredAt, usagePeriodAnchorMs), counter });
    return counter;
  }
}
