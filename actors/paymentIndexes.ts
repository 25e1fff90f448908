import type { CollectionChannel, PaymentProvider } from "../domain/collection.js";
import type { Environment } from "../domain/environment.js";
import type { IndexOp } from "../wal/record.js";

/**
 * Where an invoice and its payment belong, written with the record that creates them: API reads,
 * channel callbacks (which name only the payment) and the checkout page (only the invoice) start here.
 */
export interface PaymentRef {
  paymentId: string;
  invoiceId: string;
  env: Environment;
  merchantId: string;
  customerId: string;
  customerExternalId: string;
  channel: CollectionChannel;
  provider: PaymentProvider;
}

export const paymentRefKey = (paymentId: string) => `x!pay!${paymentId}`;
export const invoiceRefKey = (invoiceId: string) => `x!inv!${invoiceId}`;

/** The entity that indexes every record spanning a payment, its invoice and the wallet. */
export const collectionEntity = (paymentId: string) => `collection:${paymentId}`;

export const paymentIdPattern = /^pay_[0-9a-z]{20}$/;
export const invoiceIdPattern = /^inv_[0-9a-z]{20}$/;

export function refOps(ref: PaymentRef): IndexOp[] {
  const value = JSON.stringify(ref);
  return [
    { type: "put", key: paymentRefKey(ref.paymentId), value },
    { type: "put", key: invoiceRefKey(ref.invoiceId), value },
  ];
}

/**
 * Durable payment timers, swept like reservation expiries (actors/timers.ts): an order's expiry
 * (ask the channel, then close it there), and a refund to send to the channel (the outbox entry of the
 * record that requested it); each is put by the record that sets it and deleted by the record that
 * settles it. A reconcile (ask the channel about an order whose callback has not come) is put by the
 * record that creates the order and moved forward by each query; one that outlives its order is dropped
 * when it fires.
 */
export type PaymentTimer =
  | { kind: "expire"; paymentId: string }
  | { kind: "refund"; paymentId: string; refundId: string }
  | { kind: "reconcile"; paymentId: string; attempt: number }
  /** A refund the channel took and has not settled: asked about again (its callback may never come). */
  | { kind: "refund_check"; paymentId: string; refundId: string; attempt: number };

export const paymentTimerPrefix = "x!pt!";

const timerKey = (dueAt: number, id: string) =>
  `${paymentTimerPrefix}${dueAt.toString().padStart(15, "0")}!${id}`;

export const expiryTimerKey = (expiresAt: number, paymentId: string) => timerKey(expiresAt, paymentId);
export const refundTimerKey = (requestedAt: number, refundId: string) => timerKey(requestedAt, refundId);
export const reconcileTimerKey = (dueAt: number, paymentId: string) =>
  timerKey(dueAt, `${paymentId}!reconcile`);
export const refundCheckTimerKey = (dueAt: number, refundId: string) => timerKey(dueAt, `${refundId}!check`);

export function putTimer(key: string, timer: PaymentTimer): IndexOp {
  return { type: "put", key, value: JSON.stringify(timer) };
}

export const delTimer = (key: string): IndexOp => ({ type: "del", key });
