import type { Customer, ReservationEntry, WalletOperation } from "../actors/index.js";
import { formatMicros } from "../domain/money.js";
import type { EntityState } from "../machines/kind.js";
import type { WalletContext, WalletFact } from "../machines/walletTypes.js";
import type { CommittedRecord } from "../actors/index.js";

/** JSON views of the API: the only place that turns domain values into response bodies. */

const iso = (ms: number) => new Date(ms).toISOString();

export function customerView(c: Customer) {
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

export function walletView(customer: Customer, state: EntityState<WalletContext>) {
  const { balanceMicros, reservedMicros } = state.context;
  return {
    object: "wallet" as const,
    customerExternalId: customer.externalId,
    currency: "CNY" as const,
    balance: formatMicros(balanceMicros),
    reserved: formatMicros(reservedMicros),
    available: formatMicros(balanceMicros - reservedMicros),
    status: state.value === "frozen" ? ("frozen" as const) : ("active" as const),
  };
}

const transactionTypes = {
  "wallet.granted": "grant",
  "wallet.debited": "debit",
  "wallet.reserved": "reservation",
  "wallet.captured": "capture",
  "wallet.released": "release",
  "wallet.expired": "expiry",
  "wallet.frozen": "freeze",
  "wallet.unfrozen": "unfreeze",
  "usage.charged": "usage",
  "usage.accrued": "usage_accrual",
} as const;

export function transactionView(fact: WalletFact, seq: number, at: number) {
  return {
    id: fact.transactionId,
    object: "wallet_transaction" as const,
    type: transactionTypes[fact.type],
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

/** One usage event behind a usage transaction. */
export function chargeView(fact: WalletFact) {
  const usage = fact.usage;
  return {
    eventKey: usage?.eventKey ?? "",
    metric: usage?.metric ?? "",
    quantity: usage?.quantity ?? "0",
    freeQuantity: usage?.freeQuantity ?? "0",
    dimensions: usage?.dimensions ?? {},
    occurredAt: iso(usage?.occurredAt ?? 0),
    amount: formatMicros(BigInt(fact.amountMicros)),
    currency: usage?.currency ?? "CNY",
    rateCardId: usage?.rateCardId ?? null,
    rateCardVersion: usage?.rateCardVersion ?? null,
  };
}

/**
 * A wallet's view of one record: its own fact, or — for a usage batch that charged many wallets —
 * one "usage" transaction summing this wallet's charges, with the charges behind it.
 */
export function transactionFromRecord(record: CommittedRecord, walletEntity: string) {
  if (record.entity === walletEntity) {
    return transactionView(record.facts[0] as unknown as WalletFact, record.seq, record.at);
  }
  const parts = (record.command as { parts?: Array<{ entity: string }> }).parts ?? [];
  const own = parts.flatMap((part, i) =>
    part.entity === walletEntity ? [record.facts[i] as unknown as WalletFact] : [],
  );
  const last = own[own.length - 1];
  if (!last) throw new Error(`record ${record.seq} does not touch ${walletEntity}`);
  const total = own.reduce((sum, fact) => sum + BigInt(fact.amountMicros), 0n);
  return {
    ...transactionView({ ...last, amountMicros: total.toString() }, record.seq, record.at),
    id: `wtx_usage_${record.seq}`,
    charges: own.map(chargeView),
  };
}

export function reservationView(entry: ReservationEntry) {
  return {
    id: entry.id,
    object: "reservation" as const,
    amount: formatMicros(BigInt(entry.amountMicros)),
    capturedAmount: entry.capturedMicros === null ? null : formatMicros(BigInt(entry.capturedMicros)),
    status: entry.status,
    expiresAt: iso(entry.expiresAt),
  };
}

/** The reservation as a wallet fact leaves it. */
function reservationFromFact(fact: WalletFact) {
  if (fact.reservationId === undefined || fact.expiresAt === undefined) return undefined;
  const amount = BigInt(fact.amountMicros);
  const released = BigInt(fact.releasedMicros ?? "0");
  const status = {
    "wallet.reserved": "active",
    "wallet.captured": "captured",
    "wallet.released": "released",
    "wallet.expired": "expired",
  } as const;
  const kind = fact.type as keyof typeof status;
  if (!(kind in status)) return undefined;
  return {
    id: fact.reservationId,
    object: "reservation" as const,
    amount: formatMicros(kind === "wallet.captured" ? amount + released : amount),
    capturedAmount: kind === "wallet.captured" ? formatMicros(amount) : null,
    status: status[kind],
    expiresAt: iso(fact.expiresAt),
  };
}

export function walletOperationView(customer: Customer, op: WalletOperation) {
  const reservation = reservationFromFact(op.fact);
  return {
    wallet: walletView(customer, op.state),
    transaction: transactionView(op.fact, op.seq, op.at),
    ...(reservation ? { reservation } : {}),
  };
}
