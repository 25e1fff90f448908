/** Commands, context, facts and rejection codes of a one-time purchase; amounts are bigint fen. */
export type PurchaseStatus = "new" | "pending" | "paid" | "refunded" | "canceled";

export interface PurchaseContext {
  purchaseId: string;
  customerId: string;
  productId: string;
  priceId: string;
  amountFen: bigint;
  /** The invoice that collects it. */
  invoiceId: string;
  /** How long after payment a refund is allowed; 0 allows none. */
  refundWindowMs: number;
  /** The machine's state, kept in the context so a fact can name it. */
  status: PurchaseStatus;
  createdAt: number;
  paidAt: number | null;
  refundedAt: number | null;
  refundId: string | null;
  canceledAt: number | null;
  cancelReason: string | null;
}

type Stamp = { at: number };

export type PurchaseCommand =
  | ({
      type: "purchase.create";
      purchaseId: string;
      customerId: string;
      productId: string;
      priceId: string;
      amountFen: bigint;
      invoiceId: string;
      refundWindowMs: number;
    } & Stamp)
  | ({ type: "purchase.pay"; invoiceId: string } & Stamp)
  | ({ type: "purchase.refund"; refundId: string } & Stamp)
  | ({ type: "purchase.cancel"; reason: string } & Stamp);

export type PurchaseRejection =
  | "purchase_not_found"
  | "purchase_exists"
  | "invalid_amount"
  | "invalid_refund_window"
  | "invoice_mismatch"
  | "purchase_not_pending"
  | "purchase_not_paid"
  | "refund_window_closed";

export type PurchaseFactType =
  "purchase.created" | "purchase.paid" | "purchase.refunded" | "purchase.canceled";

/** Facts carry amounts as digit strings so they log and compare as plain JSON. */
export interface PurchaseFact {
  type: PurchaseFactType;
  purchaseId: string;
  customerId: string;
  productId: string;
  priceId: string;
  amountFen: string;
  invoiceId: string;
  /** The state after the command. */
  status: Exclude<PurchaseStatus, "new">;
  refundWindowMs?: number;
  paidAt?: number;
  /** The last moment a refund is allowed, or null when none is. */
  refundableUntil?: number | null;
  refundId?: string;
  reason?: string;
}
