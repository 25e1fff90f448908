import { formatMicros, fenToMicros } from "../domain/money.js";
import { invoiceKind } from "../machines/invoiceKind.js";
import type { InvoiceFact } from "../machines/invoiceTypes.js";
import type { EntityState } from "../machines/kind.js";
import { paymentKind } from "../machines/paymentOrderKind.js";
import type { PaymentFact } from "../machines/paymentOrderTypes.js";
import { purchaseKind } from "../machines/purchaseKind.js";
import type { PurchaseFact } from "../machines/purchaseTypes.js";
import { subscriptionKind } from "../machines/subscriptionKind.js";
import type { SubscriptionContext, SubscriptionFact } from "../machines/subscriptionTypes.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, LoggedFact } from "../wal/record.js";
import { EntityStates } from "./entityStates.js";
import {
  entitlementData,
  invoiceData,
  paymentData,
  paymentRefundData,
  purchaseData,
  subscriptionChangeData,
  type SubscriptionChange,
} from "./eventPayloads.js";
import type { EventType } from "./events.js";

/** One event a fact makes, before the catalogue gives it its id and envelope. */
export interface FactEvent {
  type: EventType;
  data: Record<string, unknown>;
}

/** The customer's external id as of a record; none when the ledger has no such customer. */
export type ExternalIdOf = (customerId: string, seq: number) => Promise<string | undefined>;

const invoiceEventOf: Partial<Record<string, EventType>> = {
  "invoice.finalized": "invoice.finalized",
  "invoice.paid": "invoice.paid",
  "invoice.voided": "invoice.voided",
  "invoice.marked_uncollectible": "invoice.marked_uncollectible",
  "invoice.refunded": "invoice.refunded",
};

/** Both ways an order ends unpaid (failed at the channel, closed or expired) are a failed payment. */
const paymentEventOf: Partial<Record<string, EventType>> = {
  "payment.succeeded": "payment.succeeded",
  "payment.failed": "payment.failed",
  "payment.closed": "payment.failed",
  "payment.refund_succeeded": "payment.refunded",
};

const subscriptionChangeOf: Partial<Record<string, SubscriptionChange>> = {
  "subscription.renewed": "renewed",
  "subscription.past_due": "past_due",
  "subscription.price_changed": "price_changed",
  "subscription.cancel_scheduled": "cancel_scheduled",
  "subscription.resumed": "resumed",
};

const yuanOfFen = (fen: string) => formatMicros(fenToMicros(BigInt(fen)));

/**
 * The events of billing facts: invoices (billing ones; a top-up's receipt has its wallet events),
 * payments of every invoice, subscriptions, purchases, and the entitlements these grant and revoke.
 * Payloads show each object as of its record, folded from its own records.
 */
export class CommerceEvents {
  private readonly states: EntityStates;

  constructor(
    log: Log,
    private readonly externalIdOf: ExternalIdOf,
  ) {
    this.states = new EntityStates(log);
  }

  /** The events of one fact of `record`, the fact of `entity`. */
  async of(record: CommittedRecord, fact: LoggedFact, entity: string): Promise<FactEvent[]> {
    const colon = entity.indexOf(":");
    const id = entity.slice(colon + 1);
    switch (entity.slice(0, colon)) {
      case "invoice":
        return this.invoiceEvents(record, fact as unknown as InvoiceFact, entity, id);
      case "payment":
        return this.paymentEvents(record, fact as unknown as PaymentFact, entity, id);
      case "subscription":
        return this.subscriptionEvents(record, fact as unknown as SubscriptionFact, entity, id);
      case "purchase":
        return this.purchaseEvents(record, fact as unknown as PurchaseFact, entity, id);
      default:
        return [];
    }
  }

  private async invoiceEvents(record: CommittedRecord, fact: InvoiceFact, entity: string, id: string) {
    const type = invoiceEventOf[fact.type];
    // A draft never announced is not announced voided either.
    const unseenDraft = fact.type === "invoice.voided" && fact.wasFinalized !== true;
    if (!type || fact.purpose === undefined || fact.purpose === "top_up" || unseenDraft) return [];
    const externalId = await this.externalIdOf(fact.customerId, record.seq);
    if (externalId === undefined) return [];
    const { after } = await this.states.around(invoiceKind, entity, id, record.seq);
    const invoice = invoiceData(after, externalId);
    if (fact.type === "invoice.refunded") {
      const refund = { id: fact.refundId ?? "", amount: yuanOfFen(fact.refundFen ?? "0") };
      return [{ type, data: { ...invoice, refund } }];
    }
    if (fact.type === "invoice.marked_uncollectible") {
      return [{ type, data: { ...invoice, reason: fact.reason ?? "" } }];
    }
    const events: FactEvent[] = [{ type, data: invoice }];
    // Nothing was due (credit covered it): finalized paid, with no payment to record it later.
    if (fact.type === "invoice.finalized" && after.value === "paid") {
      events.push({ type: "invoice.paid", data: invoice });
    }
    return events;
  }

  private async paymentEvents(record: CommittedRecord, fact: PaymentFact, entity: string, id: string) {
    const type = paymentEventOf[fact.type];
    if (!type) return [];
    const externalId = await this.externalIdOf(fact.customerId, record.seq);
    if (externalId === undefined) return [];
    const { after } = await this.states.around(paymentKind, entity, id, record.seq);
    const payment = paymentData(after, externalId);
    if (type !== "payment.refunded") return [{ type, data: payment }];
    return [{ type, data: { ...payment, refund: paymentRefundData(after, fact.refundId ?? "") } }];
  }

  private async subscriptionEvents(
    record: CommittedRecord,
    fact: SubscriptionFact,
    entity: string,
    id: string,
  ): Promise<FactEvent[]> {
    const externalId = await this.externalIdOf(fact.customerId, record.seq);
    if (externalId === undefined) return [];
    const { before, after } = await this.states.around(subscriptionKind, entity, id, record.seq);
    const entitlement = () => entitlementData(externalId, { type: "subscription", ...sourceOf(after) });
    switch (fact.type) {
      case "subscription.created":
        return [{ type: "subscription.created", data: subscriptionChangeData(after, externalId, "created") }];
      case "subscription.invoice_paid": {
        const change = paidChange(before, after);
        const updated = {
          type: "subscription.updated" as const,
          data: subscriptionChangeData(after, externalId, change),
        };
        if (change !== "activated") return [updated];
        return [updated, { type: "entitlement.granted", data: entitlement() }];
      }
      case "subscription.canceled": {
        const canceled = {
          type: "subscription.canceled" as const,
          data: subscriptionChangeData(after, externalId, "canceled"),
        };
        // One that never became active (its first invoice went unpaid) had nothing to revoke.
        if (before.value !== "active" && before.value !== "past_due") return [canceled];
        return [canceled, { type: "entitlement.revoked", data: entitlement() }];
      }
      default: {
        const change = subscriptionChangeOf[fact.type];
        if (!change) return [];
        return [{ type: "subscription.updated", data: subscriptionChangeData(after, externalId, change) }];
      }
    }
  }

  private async purchaseEvents(
    record: CommittedRecord,
    fact: PurchaseFact,
    entity: string,
    id: string,
  ): Promise<FactEvent[]> {
    const externalId = await this.externalIdOf(fact.customerId, record.seq);
    if (externalId === undefined) return [];
    const { after } = await this.states.around(purchaseKind, entity, id, record.seq);
    const purchase: FactEvent = { type: fact.type, data: purchaseData(after, externalId) };
    const source = { type: "purchase" as const, id, productId: fact.productId, priceId: fact.priceId };
    if (fact.type === "purchase.paid") {
      return [purchase, { type: "entitlement.granted", data: entitlementData(externalId, source) }];
    }
    if (fact.type === "purchase.refunded") {
      return [purchase, { type: "entitlement.revoked", data: entitlementData(externalId, source) }];
    }
    return [purchase];
  }
}

function sourceOf(state: EntityState<SubscriptionContext>) {
  const { subscriptionId, productId, priceId } = state.context;
  return { id: subscriptionId, productId, priceId };
}

/** Paying a subscription's invoice: what it did to the subscription. */
function paidChange(
  before: EntityState<SubscriptionContext>,
  after: EntityState<SubscriptionContext>,
): SubscriptionChange {
  if (after.value !== "active" || before.value === "active") return "invoice_paid";
  return before.value === "incomplete" ? "activated" : "reactivated";
}
