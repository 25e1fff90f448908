import type { Decimal } from "decimal.js";
import { RatingDecimal, zero } from "./decimal.js";
import type { PeriodLine, Tier, VolumePrice } from "./types.js";

/** The tier `billable` reaches: the first whose `upTo` is at or above it. */
export function volumeTierIndex(tiers: readonly Tier[], billable: Decimal): number {
  const index = tiers.findIndex((tier) => tier.upTo === null || billable.lte(tier.upTo));
  if (index < 0) throw new Error("volume tiers must end with an unbounded tier");
  return index;
}

/** Volume pricing proper: every unit at the reached tier's rate plus its flat amount; nothing for no usage. */
export function volumeAmount(tiers: readonly Tier[], billable: Decimal): Decimal {
  if (billable.isZero()) return zero;
  const tier = tiers[volumeTierIndex(tiers, billable)];
  if (tier === undefined) throw new Error("unreachable: tier index out of range");
  return billable.times(tier.unitAmount).plus(tier.flatAmount ?? 0);
}

/**
 * The highest volumeAmount at any usage up to `billable`. Within a tier the amount only grows, so the
 * peak is either here or at the top of a tier already passed.
 *
 * Why per-event charges follow this high-water mark rather than volumeAmount itself: crossing into a
 * cheaper tier can lower the true total (100 units at 1.00 cost 100, 101 units at 0.50 cost 50.50).
 * A negative charge would turn usage into a wallet credit mid-period, and a charge clamped at zero
 * would make the sum depend on how usage was split into events. Charging the rise of the high-water
 * mark is never negative, depends only on cumulative usage (so replay and any event split agree),
 * and the overcharge is returned once at period close as periodTrueUpMicros.
 */
export function volumeHighWaterAmount(tiers: readonly Tier[], billable: Decimal): Decimal {
  let highest = volumeAmount(tiers, billable);
  for (const { upTo } of tiers) {
    if (upTo === null || billable.lt(upTo)) break;
    highest = RatingDecimal.max(highest, volumeAmount(tiers, new RatingDecimal(upTo)));
  }
  return highest;
}

export function volumeLines(price: VolumePrice, billable: Decimal): PeriodLine[] {
  const tier = volumeTierIndex(price.tiers, billable);
  return [{ tier, quantity: billable, amount: volumeHighWaterAmount(price.tiers, billable) }];
}
