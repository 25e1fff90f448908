import { limits } from "../domain/limits.js";
import { purchaseGrantsAccess } from "../machines/purchase.js";
import { purchaseEntity } from "../machines/purchaseKind.js";
import { subscriptionGrantsAccess } from "../machines/subscription.js";
import { subscriptionEntity } from "../machines/subscriptionKind.js";
import {
  refOf,
  type BillingService,
  type Entitlement,
  type PurchaseSnapshot,
  type SubscriptionSnapshot,
} from "./billing.js";
import { customerBillingPrefix } from "./billingRefs.js";
import type { Customer } from "./customers.js";

/** What the customer has access to now: active (or past due) subscriptions and paid purchases. */
export async function entitlementsOf(billing: BillingService, customer: Customer): Promise<Entitlement[]> {
  const at = await billing.nowFor(refOf(customer));
  const found: Entitlement[] = [];
  const prefix = customerBillingPrefix(customer.id);
  for await (const key of billing.log.db.keys({
    gte: prefix,
    lt: `${prefix}~`,
    limit: limits.billingObjectsPerCustomerMax,
  })) {
    const id = key.slice(prefix.length);
    if (id.startsWith("sub_")) {
      const state = (await billing.subscriptions.read(subscriptionEntity(id), id)).committed;
      if (!subscriptionGrantsAccess(state, at)) continue;
      found.push({
        productId: state.context.productId,
        priceId: state.context.priceId,
        source: "subscription",
        sourceId: id,
        grantedAt: state.context.createdAt,
        endsAt: state.context.cancelAtPeriodEnd ? state.context.currentPeriodEnd : null,
      });
    } else if (id.startsWith("pur_")) {
      const state = (await billing.purchases.read(purchaseEntity(id), id)).committed;
      if (!purchaseGrantsAccess(state)) continue;
      found.push({
        productId: state.context.productId,
        priceId: state.context.priceId,
        source: "purchase",
        sourceId: id,
        grantedAt: state.context.paidAt ?? state.context.createdAt,
        endsAt: null,
      });
    }
  }
  return found;
}

/** Ids of the customer's billing objects of one kind (`sub_`, `pur_`), in id order, bounded. */
async function* customerObjectIds(
  billing: BillingService,
  customer: Customer,
  idPrefix: "sub_" | "pur_",
): AsyncGenerator<string> {
  const prefix = customerBillingPrefix(customer.id);
  for await (const key of billing.log.db.keys({
    gte: `${prefix}${idPrefix}`,
    lt: `${prefix}${idPrefix}~`,
    limit: limits.billingObjectsPerCustomerMax,
  })) {
    yield key.slice(prefix.length);
  }
}

/** The customer's subscriptions. */
export async function subscriptionsOf(
  billing: BillingService,
  customer: Customer,
): Promise<SubscriptionSnapshot[]> {
  const out: SubscriptionSnapshot[] = [];
  for await (const id of customerObjectIds(billing, customer, "sub_")) {
    out.push({
      ref: refOf(customer),
      subscription: (await billing.subscriptions.read(subscriptionEntity(id), id)).committed,
    });
  }
  return out;
}

/** The customer's one-time purchases, whatever their state. */
export async function purchasesOf(billing: BillingService, customer: Customer): Promise<PurchaseSnapshot[]> {
  const out: PurchaseSnapshot[] = [];
  for await (const id of customerObjectIds(billing, customer, "pur_")) {
    out.push({
      ref: refOf(customer),
      purchase: (await billing.purchases.read(purchaseEntity(id), id)).committed,
    });
  }
  return out;
}
