import type { DecimalString, IsoTimestamp } from "./types.js";

/** How the buyer pays: WeChat Pay (QR code, inside WeChat, mobile browser) or Alipay (PC web, mobile web). */
export type CollectionChannel = "wechat_native" | "wechat_jsapi" | "wechat_h5" | "alipay_page" | "alipay_wap";

/** What the buyer's side needs to start paying. */
export type CheckoutAction =
  | { type: "qr_code"; codeUrl: string }
  /** Pass `payParams` to `WeixinJSBridge.invoke("getBrandWCPayRequest", …)`. */
  | { type: "jsapi"; prepayId: string; payParams: Record<string, string> }
  | { type: "redirect"; url: string }
  | { type: "alipay_form"; url: string; formHtml: string };

/**
 * A payment order: `pending` until the channel confirms; `paid_after_close` is money that arrived after
 * the order closed — recorded, not credited, to be refunded.
 */
export type PaymentStatus =
  "created" | "pending" | "succeeded" | "refunded" | "failed" | "closed" | "paid_after_close" | (string & {});

/** A payment order opened to collect an invoice, and how the payer completes it. */
export interface InvoicePaymentStart {
  /** `invoice_payment` for a subscription or purchase invoice (a top-up says `top_up`). */
  object: "invoice_payment" | "top_up";
  invoiceId: string;
  paymentId: string;
  /** The hosted checkout page: send the payer there, or render `action` yourself. */
  checkoutUrl: string;
  amount: DecimalString;
  currency: "CNY";
  channel: CollectionChannel;
  expiresAt: IsoTimestamp;
  status: PaymentStatus;
  action: CheckoutAction | null;
}

export interface TopUp extends InvoicePaymentStart {
  object: "top_up";
}

export type RefundStatus = "pending" | "succeeded" | "failed" | (string & {});

export interface Refund {
  id: string;
  object: "refund";
  invoiceId: string;
  paymentId: string;
  amount: DecimalString;
  currency: "CNY";
  reason: string | null;
  /** `pending` until the channel confirms the refund (or refuses it: `failed`, the credit is restored). */
  status: RefundStatus;
  createdAt: IsoTimestamp;
}

export interface InvoicePayment {
  id: string;
  status: PaymentStatus;
  channel: CollectionChannel;
  expiresAt: IsoTimestamp;
  transactionId: string | null;
  paidAt: IsoTimestamp | null;
  channelFee: DecimalString | null;
  platformFee: DecimalString | null;
  /** What you are owed for it: amount minus both fees. */
  netAmount: DecimalString | null;
  refundedAmount: DecimalString;
  refundingAmount: DecimalString;
  /**
   * What of it sits in your unapplied payments: money the channel took that was not applied (paid
   * after close, a wrong amount, a second transaction), less what was refunded.
   */
  unappliedAmount: DecimalString;
  failure: { code: string; message: string } | null;
  /** What the channel reported that was not applied (a wrong amount), for your operations team. */
  flags: Array<{
    reason: string;
    transactionId: string;
    amount: DecimalString;
    currency: string;
    refundId: string | null;
    /** Its amount, taken by the channel, was posted to your unapplied payments (refundable). */
    unapplied: boolean;
    at: IsoTimestamp;
  }>;
}

export type InvoicePurpose = "top_up" | "subscription" | "purchase";

export type InvoiceStatus = "draft" | "open" | "paid" | "void" | "uncollectible" | (string & {});

export interface InvoiceLine {
  description: string;
  amount: DecimalString;
  kind: "top_up" | "subscription" | "proration" | "usage" | "purchase" | null;
  quantity: DecimalString | null;
  /** Null when the line has no single unit price: metered usage summed under tiers and allowances. */
  unitAmount: DecimalString | null;
}

export interface Invoice {
  id: string;
  object: "invoice";
  number: string | null;
  customerExternalId: string;
  purpose: InvoicePurpose;
  status: InvoiceStatus;
  subscriptionId: string | null;
  purchaseId: string | null;
  /** The service period a subscription invoice bills. */
  periodStart: IsoTimestamp | null;
  periodEnd: IsoTimestamp | null;
  currency: "CNY";
  amount: DecimalString;
  lines: InvoiceLine[];
  subtotal: DecimalString;
  creditApplied: DecimalString;
  total: DecimalString;
  checkoutUrl: string;
  dueAt: IsoTimestamp | null;
  createdAt: IsoTimestamp;
  /** When its lines and number were fixed; null while a draft. */
  finalizedAt: IsoTimestamp | null;
  paidAt: IsoTimestamp | null;
  voidedAt: IsoTimestamp | null;
  voidReason: string | null;
  /** What refunds have taken back of a paid subscription or purchase invoice (a top-up's: `payment`). */
  refundedAmount: DecimalString;
  /** Null until a payment is started (`invoices.pay`); a top-up's starts with the invoice. */
  payment: InvoicePayment | null;
  refunds: Refund[];
}

/**
 * The merchant's ledger accounts in one currency; each amount is the sum of the account's postings
 * (signed: `prepaidCreditSold` and `promotions` are funding accounts and go negative).
 */
export interface CurrencyBalance {
  currency: string;
  /** Owed to the merchant: paid top-ups net of channel and platform fees, less refunds. */
  payable: DecimalString;
  /** Paid after its order closed: not credited, held until refunded. */
  unappliedPayments: DecimalString;
  prepaidCreditSold: DecimalString;
  usageRevenue: DecimalString;
  promotions: DecimalString;
}

export interface Balance {
  object: "balance";
  environment: "test" | "live";
  /** Every ledger record up to this sequence is included, and none after it. */
  ledgerSequence: number;
  balances: CurrencyBalance[];
}
