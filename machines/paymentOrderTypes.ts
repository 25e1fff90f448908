import type { CheckoutAction, CollectionChannel, PaymentProvider } from "../domain/collection.js";

/** Commands, context, facts and rejection codes of a payment order (one attempt to collect an invoice). */
export interface PaymentRefund {
  amountFen: bigint;
  reason: string | null;
  /** `pending` until the channel settles it; `submitted` once the channel accepted it. */
  status: "pending" | "succeeded" | "failed";
  submitted: boolean;
  requestedAt: number;
  settledAt: number | null;
  channelState: string | null;
}

/** Something the channel reported that we did not apply, kept visible for operations. */
export interface PaymentFlag {
  /**
   * refund_succeeded_after_failure: the channel paid out a refund recorded as failed (its credit was
   * given back): the customer holds both until operations take one back.
   */
  reason:
    "amount_mismatch" | "transaction_conflict" | "refund_amount_mismatch" | "refund_succeeded_after_failure";
  transactionId: string;
  amountFen: bigint;
  currency: string;
  refundId: string | null;
  /**
   * `unapplied`: money the channel took for this transaction, posted to the merchant's unapplied
   * payments with the flag (absent on flags that move no money, and on flags logged before such money
   * was posted).
   */
  settlement?: "unapplied";
  at: number;
}

/**
 * Where a payment's money went: `credited` to the customer's wallet (a top-up), or `unapplied`
 * (it arrived after the order closed: held for a refund, never credited).
 */
export type PaymentSettlement = "credited" | "unapplied";

export interface PaymentContext {
  paymentId: string;
  invoiceId: string;
  customerId: string;
  channel: CollectionChannel;
  provider: PaymentProvider;
  amountFen: bigint;
  currency: "CNY";
  createdAt: number;
  expiresAt: number;
  /** Fee terms fixed when the order is created. */
  channelFeeBps: number;
  platformFeeBps: number;
  action: CheckoutAction | null;
  transactionId: string | null;
  paidAt: number | null;
  payerId: string | null;
  settlement: PaymentSettlement | null;
  refundedFen: bigint;
  refundingFen: bigint;
  refunds: Record<string, PaymentRefund>;
  endedAt: number | null;
  /** Why it closed or failed. */
  failure: { code: string; message: string } | null;
  flags: PaymentFlag[];
}

type Stamp = { at: number };

export type PaymentCommand =
  | ({
      type: "payment.create";
      paymentId: string;
      invoiceId: string;
      customerId: string;
      channel: CollectionChannel;
      amountFen: bigint;
      currency: "CNY";
      expiresAt: number;
      channelFeeBps: number;
      platformFeeBps: number;
    } & Stamp)
  /** The channel created its order: what the buyer needs to pay. */
  | ({ type: "payment.open"; action: CheckoutAction } & Stamp)
  | ({
      type: "payment.succeed";
      transactionId: string;
      amountFen: bigint;
      currency: string;
      paidAt: number;
      payerId: string | null;
    } & Stamp)
  | ({ type: "payment.fail"; code: string; message: string } & Stamp)
  | ({ type: "payment.close"; code: string; message: string } & Stamp)
  | ({
      type: "payment.flag";
      reason: PaymentFlag["reason"];
      transactionId: string;
      amountFen: bigint;
      currency: string;
      refundId: string | null;
      /** Absent on commands logged before held money was posted: replay gives them no postings. */
      settlement?: "unapplied";
    } & Stamp)
  | ({ type: "payment.request_refund"; refundId: string; amountFen: bigint; reason: string | null } & Stamp)
  | ({ type: "payment.submit_refund"; refundId: string; channelState: string } & Stamp)
  | ({ type: "payment.complete_refund"; refundId: string } & Stamp)
  | ({ type: "payment.fail_refund"; refundId: string; channelState: string } & Stamp);

export type PaymentRejection =
  | "payment_exists"
  | "payment_not_created"
  | "payment_not_pending"
  | "amount_mismatch"
  | "duplicate_payment"
  | "transaction_conflict"
  | "duplicate_flag"
  | "flag_not_holdable"
  | "transaction_held"
  | "payment_not_refundable"
  | "refund_exists"
  | "refund_exceeds_payment"
  | "refund_not_found"
  | "refund_not_pending";

export type PaymentFactType =
  | "payment.created"
  | "payment.opened"
  | "payment.succeeded"
  | "payment.paid_after_close"
  | "payment.failed"
  | "payment.closed"
  | "payment.flagged"
  | "payment.refund_requested"
  | "payment.refund_submitted"
  | "payment.refund_succeeded"
  | "payment.refund_failed";

/** Facts carry amounts as digit strings so they log and compare as plain JSON. */
export interface PaymentFact {
  type: PaymentFactType;
  paymentId: string;
  invoiceId: string;
  customerId: string;
  provider: PaymentProvider;
  channel: CollectionChannel;
  /** The order's amount, except for refunds (the refund's) and flags (what the channel reported). */
  amountFen: string;
  currency: string;
  expiresAt?: number;
  action?: CheckoutAction;
  transactionId?: string;
  paidAt?: number;
  channelFeeFen?: string;
  platformFeeFen?: string;
  settlement?: PaymentSettlement;
  refundId?: string;
  reason?: string | null;
  code?: string;
  message?: string;
  channelState?: string;
  refundedFen?: string;
}
