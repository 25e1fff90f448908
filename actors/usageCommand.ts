import { rateEvent, type Price } from "../domain/rating/index.js";
import type { EntityState } from "../machines/kind.js";
import type { UsageDetail, WalletCommand, WalletContext } from "../machines/walletTypes.js";
import type { Customer } from "./customers.js";
import type { PublishedVersion } from "./rateCards.js";
import type { UsageEventInput } from "./usage.js";

/** A usage event with what prices it: its customer, the card version in effect, the price. */
export interface PricedEvent {
  input: UsageEventInput;
  occurredAt: number;
  customer: Customer;
  price: Price;
  /** The wallet usage counter the event adds to (UsageCounters). */
  counter: string;
  version: PublishedVersion;
  rateCardId: string;
}

/**
 * The wallet command that charges (prepaid) or accrues (postpaid) one event, rated against the
 * wallet's usage so far in the event's period; or why the event is refused.
 */
export function usageCommandOf(
  c: PricedEvent,
  at: number,
  transactionId: string,
  state: EntityState<WalletContext>,
): { command: WalletCommand } | { rejected: string } {
  const rated = rateEvent(c.price, state.context.usage[c.counter] ?? "0", c.input.quantity);
  if (!rated.ok) return { rejected: rated.code };
  // Wallets and invoices are in CNY: usage priced in another currency could be neither charged nor billed.
  if (c.version.currency !== "CNY") return { rejected: "currency_mismatch" };
  // Keys in sorted order: the command logs this object as it is (walletCommandToLog).
  const detail: UsageDetail = {
    currency: c.version.currency,
    dimensions: sortedDimensions(c.input.dimensions),
    eventKey: c.input.idempotencyKey,
    freeQuantity: rated.value.freeQuantityUsed,
    metric: c.input.metric,
    occurredAt: c.occurredAt,
    quantity: c.input.quantity,
    rateCardId: c.rateCardId,
    rateCardVersion: c.version.version,
  };
  const { chargeMicros: amountMicros, cumulativeAfter } = rated.value;
  const usageKey = c.counter;
  if (c.customer.billingMode !== "prepaid") {
    return {
      command: { type: "wallet.accrue", amountMicros, usageKey, cumulativeAfter, detail, transactionId, at },
    };
  }
  const policy = c.version.insufficientBalance;
  const floorMicros = policy.mode === "allow_negative" ? -BigInt(policy.limitMicros) : 0n;
  return {
    command: {
      type: "wallet.charge",
      amountMicros,
      floorMicros,
      usageKey,
      cumulativeAfter,
      detail,
      transactionId,
      at,
    },
  };
}

/** The event's dimensions with keys in sorted order (as given, when they already are). */
function sortedDimensions(dimensions: Record<string, string> | undefined): Record<string, string> {
  if (dimensions === undefined) return {};
  const keys = Object.keys(dimensions);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) >= (keys[i] as string)) {
      return Object.fromEntries(keys.sort().map((key) => [key, dimensions[key] as string]));
    }
  }
  return dimensions;
}
