import type { Decimal } from "decimal.js";
import { zero } from "./decimal.js";
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
 * The period's amount is volumeAmount itself, so an event's charge is the change in it. Crossing
 * into a cheaper tier can lower the total (100 units at 1.00 cost 100, 101 units at 0.50 cost 50.50):
 * that event's charge is negative, a credit of what the earlier events paid beyond the new total.
 * So the period's charges always add up to what volume pricing says is due, however the usage was
 * split into events, with nothing left to settle at period close.
 */
export function volumeLines(price: VolumePrice, billable: Decimal): PeriodLine[] {
  const tier = volumeTierIndex(price.tiers, billable);
  return [{ tier, quantity: billable, amount: volumeAmount(price.tiers, billable) }];
}
