import type { Environment } from "../domain/environment.js";
import type { IndexOp } from "../wal/record.js";

/**
 * Where a billing object belongs, written with the record that creates it: the API finds a
 * subscription, purchase or invoice by id, a customer's subscriptions and purchases, and the settlement
 * of a payment finds the customer's test clock, from these.
 */
export interface BillingRef {
  env: Environment;
  merchantId: string;
  customerId: string;
  customerExternalId: string;
  /** The customer's sandbox test clock (fixed at customer creation), or null for real time. */
  testClockId: string | null;
}

export interface BillingInvoiceRef extends BillingRef {
  invoiceId: string;
  subscriptionId: string | null;
  purchaseId: string | null;
}

export const subscriptionRefKey = (id: string) => `x!bsub!${id}`;
export const purchaseRefKey = (id: string) => `x!bpur!${id}`;
export const billingInvoiceRefKey = (id: string) => `x!binv!${id}`;
/** A customer's subscriptions and purchases (`sub_…` and `pur_…` ids). */
export const customerBillingKey = (customerId: string, id: string) => `x!bcus!${customerId}!${id}`;
export const customerBillingPrefix = (customerId: string) => `x!bcus!${customerId}!`;
/** A merchant's billing invoices by the sequence of the record that created each (the list cursor). */
export const merchantInvoiceKey = (env: string, merchantId: string, seq: number) =>
  `x!bmin!${env}!${merchantId}!${seq.toString().padStart(16, "0")}`;
export const merchantInvoicePrefix = (env: string, merchantId: string) => `x!bmin!${env}!${merchantId}!`;
/** Postpaid usage already billed: the ledger sequence up to which the customer's usage is invoiced. */
export const usageBilledKey = (customerId: string) => `x!bused!${customerId}`;

export const put = (key: string, value: unknown): IndexOp => ({
  type: "put",
  key,
  value: typeof value === "string" ? value : JSON.stringify(value),
});
export const del = (key: string): IndexOp => ({ type: "del", key });

/**
 * Durable billing timers: `x!bt!<clock>!<15-digit due ms>!<kind>!<id>`, where clock is `real` or a
 * sandbox test clock's id. Real ones are swept like every other timer; a test clock's fire as the
 * clock is advanced past them, in due order, each at its own due time. Each is put by the record
 * that sets it and deleted by the record that settles it; one whose entity moved on is dropped.
 */
export type BillingTimer =
  | { kind: "finalize"; invoiceId: string }
  | { kind: "renew"; subscriptionId: string }
  | { kind: "grace"; subscriptionId: string; invoiceId: string }
  | { kind: "dunning"; subscriptionId: string; invoiceId: string }
  | { kind: "incomplete"; subscriptionId: string; invoiceId: string }
  | { kind: "purchase_expiry"; purchaseId: string; invoiceId: string }
  /** A wallet reservation of a test clock's customer: expires when the clock passes it. */
  | { kind: "reservation"; reservationId: string };

export const billingTimerRoot = "x!bt!";
const clockOf = (testClockId: string | null) => testClockId ?? "real";
export const billingTimerPrefix = (testClockId: string | null) =>
  `${billingTimerRoot}${clockOf(testClockId)}!`;

export function billingTimerKey(testClockId: string | null, dueAt: number, timer: BillingTimer): string {
  const due = Math.max(0, dueAt).toString().padStart(15, "0");
  return `${billingTimerPrefix(testClockId)}${due}!${timer.kind}!${idOf(timer)}`;
}

function idOf(timer: BillingTimer): string {
  switch (timer.kind) {
    case "finalize":
      return timer.invoiceId;
    case "renew":
      return timer.subscriptionId;
    case "grace":
    case "dunning":
    case "incomplete":
      return `${timer.subscriptionId}!${timer.invoiceId}`;
    case "purchase_expiry":
      return `${timer.purchaseId}!${timer.invoiceId}`;
    case "reservation":
      return timer.reservationId;
  }
}

export const dueOf = (key: string) => Number(key.split("!")[3]);
