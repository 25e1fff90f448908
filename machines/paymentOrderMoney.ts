import type { PaymentContext, PaymentFlag, PaymentSettlement } from "./paymentOrderTypes.js";

/**
 * Where a payment order's money sits. Besides the order's own amount (credited, or unapplied when
 * paid after close), money the channel verifiably took for a transaction we did not apply (a wrong
 * amount, a second transaction) is *held*: posted to the merchant's unapplied payments with its flag.
 */

/** Reasons whose reported money the channel took: flagged, it is held as unapplied. */
export const holdableFlagReasons: ReadonlySet<PaymentFlag["reason"]> = new Set([
  "amount_mismatch",
  "transaction_conflict",
]);

const heldFlags = (context: PaymentContext) => context.flags.filter((f) => f.settlement === "unapplied");

/** Whether this channel transaction's money is already held (posted once, whatever it was flagged as). */
export const isHeldTransaction = (context: PaymentContext, transactionId: string) =>
  heldFlags(context).some((f) => f.transactionId === transactionId);

/** Money held from flagged transactions, refunds not deducted. */
export const heldFen = (context: PaymentContext) =>
  heldFlags(context).reduce((sum, f) => sum + f.amountFen, 0n);

/**
 * What of this order sits in unapplied payments now: paid after close, plus held, less what was
 * refunded from there (an order never paid refunds only held money; a credited one, only its own).
 */
export function unappliedFen(context: PaymentContext): bigint {
  const paidAfterClose = context.settlement === "unapplied" ? context.amountFen : 0n;
  const refundedFromUnapplied = context.settlement === "credited" ? 0n : context.refundedFen;
  return paidAfterClose + heldFen(context) - refundedFromUnapplied;
}

/**
 * The total of the channel transaction a refund of this order returns money from: the order's own
 * once paid; otherwise the transaction held for its wrong amount (the one the channel has for it).
 */
export const channelTotalFen = (context: PaymentContext) =>
  context.settlement === null ? heldFen(context) : context.amountFen;

/** Which account a refund returns money from: an order never paid refunds only held (unapplied) money. */
export const refundSettlement = (context: PaymentContext): PaymentSettlement =>
  context.settlement ?? "unapplied";
