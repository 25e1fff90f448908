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

export function transactionFromRecord(record: CommittedRecord) {
  const fact = record.facts[0] as unknown as WalletFact;
  return transactionView(fact, record.seq, record.at);
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
