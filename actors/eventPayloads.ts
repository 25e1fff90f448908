import { walletTransactionTypes } from "../machines/walletTransactionTypes.js";
import { feeFen } from "../domain/collection.js";
import { fenToMicros, formatMicros } from "../domain/money.js";
import { unitAmountOf, type InvoiceContext } from "../machines/invoiceTypes.js";
import type { EntityState } from "../machines/kind.js";
import type { PaymentContext } from "../machines/paymentOrderTypes.js";
import { unappliedFen } from "../machines/paymentOrderMoney.js";
import { purchaseRefundableUntil } from "../machines/purchase.js";
import type { PurchaseContext, PurchaseStatus } from "../machines/purchaseTypes.js";
import type { SubscriptionContext, SubscriptionStatus } from "../machines/subscriptionTypes.js";
import type { WalletFact } from "../machines/walletTypes.js";
import type { Customer } from "./customers.js";
import type { Metric } from "./metrics.js";
import type { PublishedVersion, RateCard } from "./rateCards.js";
import type { LedgerWalletFact } from "./walletRecordFacts.js";

/**
 * The `data` of each event, shaped like the API's views of the same things (api/views.ts). Actors
 * may not import api/, so the shapes are built here from the recorded facts; keep the two in step.
 */

const iso = (ms: number) => new Date(ms).toISOString();

export function customerData(c: Customer) {
  return {
    id: c.id,
    object: "customer" as const,
    externalId: c.externalId,
    name: c.name,
    email: c.email,
    environment: c.env,
    rateCardId: c.rateCardId ?? null,
    billingMode: c.billingMode ?? null,
    testClockId: c.testClockId ?? null,
    createdAt: iso(c.createdAt),
  };
}

export type WalletStatus = "active" | "frozen";

function walletData(externalId: string, fact: WalletFact, status: WalletStatus) {
  const balance = BigInt(fact.balanceAfterMicros);
  const available = BigInt(fact.availableAfterMicros);
  return {
    object: "wallet" as const,
    customerExternalId: externalId,
    currency: "CNY" as const,
    balance: formatMicros(balance),
    reserved: formatMicros(balance - available),
    available: formatMicros(available),
    status,
  };
}

const transactionTypes = walletTransactionTypes;

/** Unknown to this table (a fact added since): named after the fact. */
const transactionTypeOf = (factType: string): string =>
  (transactionTypes as Record<string, string>)[factType] ?? factType.slice(factType.indexOf(".") + 1);

/** Credit that came from another object says which: the transaction names it in its description. */
function describedBySource(fact: WalletFact): string | null {
  return fact.type === "wallet.credit_received" && fact.subscriptionId
    ? `account credit left on subscription ${fact.subscriptionId}`
    : null;
}

/** A wallet fact as a transaction: one shape for the API and events. */
export function transactionData(fact: WalletFact, seq: number, at: number) {
  return {
    id: fact.transactionId,
    object: "wallet_transaction" as const,
    type: transactionTypeOf(fact.type),
    amount: formatMicros(BigInt(fact.amountMicros)),
    balanceAfter: formatMicros(BigInt(fact.balanceAfterMicros)),
    availableAfter: formatMicros(BigInt(fact.availableAfterMicros)),
    reservationId: fact.reservationId ?? null,
    reason: fact.reason ?? null,
    description: fact.description ?? describedBySource(fact),
    sequence: seq,
    createdAt: iso(at),
  };
}

const reservationStatus = {
  "wallet.reserved": "active",
  "wallet.captured": "captured",
  "wallet.released": "released",
  "wallet.expired": "expired",
} as const;

function reservationData(fact: WalletFact) {
  const kind = fact.type as keyof typeof reservationStatus;
  if (fact.reservationId === undefined || fact.expiresAt === undefined || !(kind in reservationStatus)) {
    return undefined;
  }
  const amount = BigInt(fact.amountMicros);
  const released = BigInt(fact.releasedMicros ?? "0");
  return {
    id: fact.reservationId,
    object: "reservation" as const,
    amount: formatMicros(kind === "wallet.captured" ? amount + released : amount),
    capturedAmount: kind === "wallet.captured" ? formatMicros(amount) : null,
    status: reservationStatus[kind],
    expiresAt: iso(fact.expiresAt),
  };
}

/** A wallet command's event: the wallet after it, the transaction, and the reservation it touched. */
export function walletOperationData(
  externalId: string,
  fact: WalletFact,
  status: WalletStatus,
  seq: number,
  at: number,
) {
  const reservation = reservationData(fact);
  return {
    wallet: walletData(externalId, fact, status),
    transaction: transactionData(fact, seq, at),
    ...(reservation ? { reservation } : {}),
  };
}

/**
 * The id of one wallet's usage transaction in record `seq`: a usage batch charges many wallets in one
 * record, so the record alone would give every customer's transaction the same id.
 */
export const usageTransactionId = (seq: number, customerId: string) => `wtx_usage_${seq}_${customerId}`;

/** One wallet's share of a usage batch: one transaction summing its charges, with the charges. */
export function usageData(
  customer: { id: string; externalId: string },
  facts: readonly LedgerWalletFact[],
  seq: number,
  at: number,
) {
  const externalId = customer.externalId;
  const last = facts[facts.length - 1];
  if (!last) throw new Error(`usage record ${seq} has no facts for ${externalId}`);
  const total = facts.reduce((sum, fact) => sum + BigInt(fact.amountMicros), 0n);
  return {
    wallet: walletData(externalId, last, "active"),
    transaction: {
      ...transactionData({ ...last, amountMicros: total.toString() }, seq, at),
      id: usageTransactionId(seq, customer.id),
      charges: facts.map((fact) => ({
        eventKey: fact.usage?.eventKey ?? "",
        metric: fact.usage?.metric ?? "",
        quantity: fact.usage?.quantity ?? "0",
        freeQuantity: fact.usage?.freeQuantity ?? "0",
        dimensions: fact.usage?.dimensions ?? {},
        occurredAt: iso(fact.usage?.occurredAt ?? 0),
        amount: formatMicros(BigInt(fact.amountMicros)),
        currency: fact.usage?.currency ?? "CNY",
        rateCardId: fact.usage?.rateCardId ?? null,
        rateCardVersion: fact.usage?.rateCardVersion ?? null,
      })),
    },
  };
}

function versionData(v: PublishedVersion) {
  const policy = v.insufficientBalance;
  return {
    version: v.version,
    currency: v.currency,
    effectiveFrom: iso(v.effectiveFrom),
    publishedAt: iso(v.publishedAt),
    prices: v.prices.map(({ filters, ...rest }) =>
      filters === undefined ? rest : { ...rest, dimensions: filters },
    ),
    insufficientBalance:
      policy.mode === "reject"
        ? policy
        : { mode: policy.mode, limit: formatMicros(BigInt(policy.limitMicros)) },
  };
}

/** The card as the API shows it, except that `versions` holds only the version of the event. */
export function rateCardData(card: RateCard) {
  return {
    id: card.id,
    object: "rate_card" as const,
    name: card.name,
    environment: card.env,
    createdAt: iso(card.createdAt),
    latestVersion: card.versions[card.versions.length - 1]?.version ?? 0,
    versions: card.versions.map(versionData),
  };
}

export function metricData(m: Metric) {
  return { object: "metric" as const, key: m.key, name: m.name, unit: m.unit, builtIn: m.builtIn };
}

/** What a `webhook_endpoint.disabled` fact carries about the endpoint (never its secrets). */
export interface DisabledEndpointFact {
  endpointId: string;
  reason: "manual" | "failing";
  endpoint: { url: string; eventTypes: string[]; description: string | null; createdAt: number };
}

export function disabledEndpointData(fact: DisabledEndpointFact, env: string) {
  return {
    id: fact.endpointId,
    object: "webhook_endpoint" as const,
    url: fact.endpoint.url,
    eventTypes: fact.endpoint.eventTypes,
    description: fact.endpoint.description,
    environment: env,
    status: "disabled" as const,
    disabledReason: fact.reason,
    createdAt: iso(fact.endpoint.createdAt),
  };
}

// ── Billing: invoices, payments, subscriptions, purchases and the entitlements they grant ──────────

const yuanOfFen = (fen: bigint) => formatMicros(fenToMicros(fen));
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** A billing invoice as the API shows it, less what only a reader has (checkout URL, payment attempt). */
export function invoiceData(state: EntityState<InvoiceContext>, customerExternalId: string) {
  const invoice = state.context;
  const subtotal = invoice.lines.reduce((sum, line) => sum + line.amountFen, 0n);
  return {
    id: invoice.invoiceId,
    object: "invoice" as const,
    number: invoice.number,
    customerExternalId,
    purpose: invoice.purpose,
    status: state.value as "draft" | "open" | "paid" | "void" | "uncollectible",
    subscriptionId: invoice.subscriptionId,
    purchaseId: invoice.purchaseId,
    periodStart: isoOrNull(invoice.periodStart),
    periodEnd: isoOrNull(invoice.periodEnd),
    currency: invoice.currency,
    subtotal: yuanOfFen(subtotal),
    creditApplied: yuanOfFen(invoice.creditAppliedFen),
    total: yuanOfFen(invoice.amountFen),
    amount: yuanOfFen(invoice.amountFen),
    lines: invoice.lines.map((line) => ({
      description: line.description,
      amount: yuanOfFen(line.amountFen),
      // A top-up's line is written without a kind (its invoice's purpose says it): shown as what it is.
      kind: line.kind ?? (invoice.purpose === "top_up" ? ("top_up" as const) : null),
      quantity: line.quantity ?? null,
      unitAmount: unitAmountOf(line),
    })),
    createdAt: iso(invoice.createdAt),
    finalizedAt: isoOrNull(invoice.finalizedAt),
    dueAt: isoOrNull(invoice.dueAt),
    paidAt: isoOrNull(invoice.paidAt),
    voidedAt: isoOrNull(invoice.voidedAt),
    voidReason: invoice.voidReason,
    refundedAmount: yuanOfFen(invoice.refundedFen),
    paymentId: invoice.paymentId,
  };
}

type PaymentStatus =
  "created" | "pending" | "succeeded" | "refunded" | "failed" | "closed" | "paid_after_close";

/** A payment order as the API shows an invoice's attempt, with what it pays and whose it is. */
export function paymentData(state: EntityState<PaymentContext>, customerExternalId: string) {
  const payment = state.context;
  const paid = payment.settlement === "credited";
  const channelFee = paid ? feeFen(payment.amountFen, payment.channelFeeBps) : null;
  const platformFee = paid ? feeFen(payment.amountFen, payment.platformFeeBps) : null;
  return {
    id: payment.paymentId,
    object: "payment" as const,
    invoiceId: payment.invoiceId,
    customerExternalId,
    amount: yuanOfFen(payment.amountFen),
    currency: payment.currency,
    status: state.value as PaymentStatus,
    channel: payment.channel,
    createdAt: iso(payment.createdAt),
    expiresAt: iso(payment.expiresAt),
    transactionId: payment.transactionId,
    paidAt: isoOrNull(payment.paidAt),
    channelFee: channelFee === null ? null : yuanOfFen(channelFee),
    platformFee: platformFee === null ? null : yuanOfFen(platformFee),
    netAmount:
      channelFee === null || platformFee === null
        ? null
        : yuanOfFen(payment.amountFen - channelFee - platformFee),
    refundedAmount: yuanOfFen(payment.refundedFen),
    refundingAmount: yuanOfFen(payment.refundingFen),
    unappliedAmount: yuanOfFen(unappliedFen(payment)),
    failure: payment.failure,
  };
}

/** The refund a `payment.refunded` event is about. */
export function paymentRefundData(state: EntityState<PaymentContext>, refundId: string) {
  const refund = state.context.refunds[refundId];
  if (!refund) throw new Error(`payment ${state.context.paymentId} has no refund ${refundId}`);
  return {
    id: refundId,
    amount: yuanOfFen(refund.amountFen),
    reason: refund.reason,
    createdAt: iso(refund.requestedAt),
  };
}

/** What happened to a subscription: the `change` of its `subscription.*` events. */
export type SubscriptionChange =
  | "created"
  | "activated"
  | "reactivated"
  | "invoice_paid"
  | "renewed"
  | "past_due"
  | "price_changed"
  | "cancel_scheduled"
  | "resumed"
  | "canceled";

/** A subscription as the API shows it (events add what changed). */
export function subscriptionData(state: EntityState<SubscriptionContext>, customerExternalId: string) {
  const sub = state.context;
  return {
    id: sub.subscriptionId,
    object: "subscription" as const,
    customerExternalId,
    productId: sub.productId,
    priceId: sub.priceId,
    status: state.value as Exclude<SubscriptionStatus, "new">,
    currentPeriodStart: iso(sub.currentPeriodStart),
    currentPeriodEnd: iso(sub.currentPeriodEnd),
    cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
    canceledAt: isoOrNull(sub.canceledAt),
    cancelReason: sub.cancelReason,
    pendingChange: sub.pendingChange ? { priceId: sub.pendingChange.priceId } : null,
    credit: yuanOfFen(sub.creditFen),
    latestInvoiceId: sub.latestInvoiceId || null,
    createdAt: iso(sub.createdAt),
  };
}

export function subscriptionChangeData(
  state: EntityState<SubscriptionContext>,
  customerExternalId: string,
  change: SubscriptionChange,
) {
  return { ...subscriptionData(state, customerExternalId), change };
}

/** A purchase as the API and its events show it. */
export function purchaseData(state: EntityState<PurchaseContext>, customerExternalId: string) {
  const purchase = state.context;
  return {
    id: purchase.purchaseId,
    object: "purchase" as const,
    customerExternalId,
    productId: purchase.productId,
    priceId: purchase.priceId,
    amount: yuanOfFen(purchase.amountFen),
    status: state.value as Exclude<PurchaseStatus, "new">,
    invoiceId: purchase.invoiceId,
    refundableUntil: isoOrNull(purchaseRefundableUntil(purchase)),
    paidAt: isoOrNull(purchase.paidAt),
    refundedAt: isoOrNull(purchase.refundedAt),
    createdAt: iso(purchase.createdAt),
  };
}

/** Access to a product that a subscription or a paid purchase gave, or took back. */
export function entitlementData(
  customerExternalId: string,
  source: { type: "subscription" | "purchase"; id: string; productId: string; priceId: string },
) {
  return {
    object: "entitlement" as const,
    customerExternalId,
    productId: source.productId,
    priceId: source.priceId,
    source: source.type,
    sourceId: source.id,
  };
}
