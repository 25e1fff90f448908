/** Commands, context, facts and rejection codes of an invoice; amounts are bigint fen. */
export interface InvoiceLine {
  description: string;
  amountFen: bigint;
}

/** What the invoice is for; only prepaid top-ups today. */
export type InvoicePurpose = "top_up";

export interface InvoiceContext {
  invoiceId: string;
  customerId: string;
  currency: "CNY";
  /** The sum of the lines. */
  amountFen: bigint;
  lines: InvoiceLine[];
  purpose: InvoicePurpose;
  /** The payment that paid it. */
  paymentId: string | null;
  createdAt: number;
  paidAt: number | null;
  voidedAt: number | null;
  voidReason: string | null;
}

type Stamp = { at: number };

export type InvoiceCommand =
  | ({
      type: "invoice.open";
      invoiceId: string;
      customerId: string;
      currency: "CNY";
      lines: InvoiceLine[];
      purpose: InvoicePurpose;
    } & Stamp)
  | ({ type: "invoice.pay"; paymentId: string; amountFen: bigint } & Stamp)
  | ({ type: "invoice.void"; reason: string } & Stamp);

export type InvoiceRejection =
  "invoice_exists" | "invoice_lines_invalid" | "invoice_not_open" | "amount_mismatch";

export type InvoiceFactType = "invoice.opened" | "invoice.paid" | "invoice.voided";

/** Facts carry amounts as digit strings so they log and compare as plain JSON. */
export interface InvoiceFact {
  type: InvoiceFactType;
  invoiceId: string;
  customerId: string;
  amountFen: string;
  currency: "CNY";
  purpose?: InvoicePurpose;
  lines?: Array<{ description: string; amountFen: string }>;
  paymentId?: string;
  reason?: string;
}
