import { RatingDecimal } from "../domain/rating/index.js";
/** Commands, context, facts and rejection codes of an invoice; amounts are bigint fen. */

/** What a line bills: a top-up, a subscription period, a plan change's proration, metered usage, a purchase. */
export type InvoiceLineKind = "top_up" | "subscription" | "proration" | "usage" | "purchase";

export interface InvoiceLine {
  description: string;
  /** Negative only for a proration credit (unused time on the old price). */
  amountFen: bigint;
  kind?: InvoiceLineKind;
  /**
   * Decimal strings for the PDF, e.g. "1200000" tokens at "0.0002". A usage line has no single unit
   * price (tiers, packages, allowances): see unitAmountOf.
   */
  quantity?: string;
  unitAmount?: string;
}

/** What the invoice is for: a prepaid top-up, a subscription, or a one-time purchase. */
export type InvoicePurpose = "top_up" | "subscription" | "purchase";

export interface InvoiceContext {
  invoiceId: string;
  customerId: string;
  currency: "CNY";
  /** What is due: the lines' sum less the credit applied (never negative). */
  amountFen: bigint;
  lines: InvoiceLine[];
  purpose: InvoicePurpose;
  /** Gapless per merchant and environment, given at finalization; top-up receipts carry none. */
  number: string | null;
  subscriptionId: string | null;
  purchaseId: string | null;
  periodStart: number | null;
  periodEnd: number | null;
  /** The customer's account credit (unused time from a downgrade) taken off this invoice. */
  creditAppliedFen: bigint;
  /** The payment that paid it (null when nothing was due). */
  paymentId: string | null;
  createdAt: number;
  finalizedAt: number | null;
  dueAt: number | null;
  paidAt: number | null;
  voidedAt: number | null;
  voidReason: string | null;
  uncollectibleAt: number | null;
  /** Refunded from a paid billing invoice (pending at the channel or done). */
  refundedFen: bigint;
}

type Stamp = { at: number };

export type InvoiceCommand =
  /** A top-up receipt: opened with its one line, no draft. */
  | ({
      type: "invoice.open";
      invoiceId: string;
      customerId: string;
      currency: "CNY";
      lines: InvoiceLine[];
      purpose: "top_up";
    } & Stamp)
  /** A billing invoice begins as a draft: lines may still be added at finalization. */
  | ({
      type: "invoice.draft";
      invoiceId: string;
      customerId: string;
      currency: "CNY";
      purpose: "subscription" | "purchase";
      lines: InvoiceLine[];
      creditAppliedFen: bigint;
      subscriptionId: string | null;
      purchaseId: string | null;
      periodStart: number | null;
      periodEnd: number | null;
    } & Stamp)
  /** A billing invoice drafted and finalized at once (a new subscription, a purchase, a proration). */
  | ({
      type: "invoice.issue";
      invoiceId: string;
      customerId: string;
      currency: "CNY";
      purpose: "subscription" | "purchase";
      lines: InvoiceLine[];
      creditAppliedFen: bigint;
      subscriptionId: string | null;
      purchaseId: string | null;
      periodStart: number | null;
      periodEnd: number | null;
      number: string;
      dueAt: number;
    } & Stamp)
  /** Fixes the number, the lines (with any added now) and the totals; nothing due means paid. */
  | ({ type: "invoice.finalize"; number: string; addLines: InvoiceLine[]; dueAt: number } & Stamp)
  | ({ type: "invoice.pay"; paymentId: string; amountFen: bigint } & Stamp)
  | ({ type: "invoice.void"; reason: string } & Stamp)
  | ({ type: "invoice.mark_uncollectible"; reason: string } & Stamp)
  /** Part of a paid billing invoice is refunded: its revenue goes back with the money. */
  | ({ type: "invoice.refund"; refundId: string; amountFen: bigint } & Stamp)
  /** The channel refused that refund: the revenue stands again. */
  | ({ type: "invoice.restore_refund"; refundId: string; amountFen: bigint } & Stamp);

export type InvoiceRejection =
  | "invoice_exists"
  | "invoice_lines_invalid"
  | "invoice_total_negative"
  | "invoice_not_draft"
  | "invoice_not_open"
  | "amount_mismatch"
  | "invoice_not_paid"
  | "refund_exceeds_invoice";

export type InvoiceFactType =
  | "invoice.opened"
  | "invoice.drafted"
  | "invoice.finalized"
  | "invoice.paid"
  | "invoice.voided"
  | "invoice.marked_uncollectible"
  | "invoice.refunded"
  | "invoice.refund_restored";

export interface InvoiceFactLine {
  description: string;
  amountFen: string;
  kind?: InvoiceLineKind;
  quantity?: string;
  unitAmount?: string;
}

/** Facts carry amounts as digit strings so they log and compare as plain JSON. */
export interface InvoiceFact {
  type: InvoiceFactType;
  invoiceId: string;
  customerId: string;
  amountFen: string;
  currency: "CNY";
  purpose?: InvoicePurpose;
  lines?: InvoiceFactLine[];
  number?: string;
  creditAppliedFen?: string;
  subscriptionId?: string | null;
  purchaseId?: string | null;
  /** On `invoice.finalized`: the state it ended in (`paid` when nothing was due). */
  status?: string;
  /** On `invoice.voided`: whether it had been finalized (its receivable is reversed). */
  wasFinalized?: boolean;
  paymentId?: string;
  reason?: string;
  refundId?: string;
  /** On refunds: the amount refunded or restored (`amountFen` stays the invoice's total). */
  refundFen?: string;
}

/**
 * A line's unit price as shown, or null. A usage line sums many events under tiers, packages and
 * allowances, so it has one only when quantity × unit price is its amount; lines of that kind
 * stored before kept their total here, which is not a unit price.
 */
export function unitAmountOf(line: InvoiceLine): string | null {
  if (line.unitAmount === undefined) return null;
  if (line.kind !== "usage") return line.unitAmount;
  const fen = new RatingDecimal(line.quantity ?? "1").times(line.unitAmount).times(100);
  return fen.toDecimalPlaces(0, RatingDecimal.ROUND_HALF_UP).eq(line.amountFen.toString())
    ? line.unitAmount
    : null;
}
