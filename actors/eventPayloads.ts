import { walletTransactionTypes } from "../machines/walletTransactionTypes.js";
import { formatMicros } from "../domain/money.js";
import type { WalletFact } from "../machines/walletTypes.js";
import type { Customer } from "./customers.js";
import type { Metric } from "./metrics.js";
import type { PublishedVersion, RateCard } from "./rateCards.js";

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
    description: fact.description ?? null,
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

/** One wallet's share of a usage batch: one transaction summing its charges, with the charges. */
export function usageData(externalId: string, facts: readonly WalletFact[], seq: number, at: number) {
  const last = facts[facts.length - 1];
  if (!last) throw new Error(`usage record ${seq} has no facts for ${externalId}`);
  const total = facts.reduce((sum, fact) => sum + BigInt(fact.amountMicros), 0n);
  return {
    wallet: walletData(externalId, last, "active"),
    transaction: {
      ...transactionData({ ...last, amountMicros: total.toString() }, seq, at),
      id: `wtx_usage_${seq}`,
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
