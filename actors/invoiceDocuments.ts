import { beijingOffsetMs } from "../domain/beijingTime.js";
import { beijingDate } from "../domain/billing/index.js";
import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import type { EntityState } from "../machines/kind.js";
import { unitAmountOf, type InvoiceContext } from "../machines/invoiceTypes.js";

/**
 * The invoice as the customer sees it, for the PDF and the email. Structurally the same as
 * effects' `InvoiceDocument` (actors may not import effects; a type test keeps the two equal).
 */
export type InvoiceDocumentData = {
  number: string;
  status: InvoiceDocumentStatus;
  /** Calendar dates in Beijing time, "YYYY-MM-DD". */
  issueDate: string;
  dueDate: string;
  period: { start: string; end: string };
  merchant: InvoiceDocumentMerchant;
  customer: InvoiceDocumentCustomer;
  currency: "CNY";
  lines: readonly InvoiceDocumentLine[];
  subtotalFen: bigint;
  creditAppliedFen: bigint;
  totalFen: bigint;
  amountPaidFen: bigint;
  amountDueFen: bigint;
  fxNote?: string;
  payment?: InvoiceDocumentPayment;
};

export type InvoiceDocumentStatus = "draft" | "finalized" | "paid" | "voided";
export type InvoiceDocumentPartyName = { nameZh?: string; nameEn?: string };
export type InvoiceDocumentMerchant = InvoiceDocumentPartyName & {
  addressLines?: readonly string[];
  registrationNumber?: string;
  email?: string;
};
export type InvoiceDocumentCustomer = InvoiceDocumentPartyName & {
  email: string;
  taxId?: string;
  addressLines?: readonly string[];
};
export type InvoiceDocumentLine = {
  description: string;
  descriptionZh?: string;
  quantity: string;
  /** Null for a usage line: see unitAmountOf. */
  unitAmount: string | null;
  amountFen: bigint;
};
export type InvoiceDocumentPayment = {
  channel: "wechat_pay" | "alipay";
  transactionId: string;
  /** Beijing time, e.g. "2026-11-27 10:05 CST". */
  paidAt: string;
};

/** Everything a document is made of, read together (the lead's billing read model provides it). */
export interface InvoiceSourceData {
  env: Environment;
  merchantId: string;
  invoice: EntityState<InvoiceContext>;
  customer: { name: string | null; email: string | null; externalId: string };
  merchant: { name: string };
  payment: { channel: "wechat_pay" | "alipay"; transactionId: string | null; paidAt: number | null } | null;
}

export interface InvoiceSource {
  read(invoiceId: string): Promise<InvoiceSourceData | undefined>;
}

/**
 * `current`: the invoice as it is now. `finalized`: as it was when finalized, for the email that
 * sends it: a payment that came before the email went out must not turn the bill into a receipt.
 */
export type InvoiceDocumentView = "current" | "finalized";

/** A document exists once a billing invoice has its number; top-up receipts and drafts have none. */
export function hasInvoiceDocument(invoice: EntityState<InvoiceContext>): boolean {
  const { context } = invoice;
  return context.purpose !== "top_up" && context.number !== null && context.finalizedAt !== null;
}

/**
 * Maps an invoice, its customer, merchant and payment to its document: lines sum to the subtotal,
 * subtotal − account credit applied = total.
 */
export function invoiceDocumentOf(
  input: InvoiceSourceData,
  view: InvoiceDocumentView = "current",
): InvoiceDocumentData {
  const { context } = input.invoice;
  const { number, finalizedAt } = context;
  if (!hasInvoiceDocument(input.invoice) || number === null || finalizedAt === null) {
    throw new Error(`assertion failed: invoice ${context.invoiceId} has no document (not finalized)`);
  }
  const lines = context.lines.map((line) => ({
    description: line.description,
    quantity: line.quantity ?? "1",
    unitAmount: line.kind === "usage" ? unitAmountOf(line) : (line.unitAmount ?? yuanOf(line.amountFen)),
    amountFen: line.amountFen,
  }));
  const subtotalFen = lines.reduce((sum, line) => sum + line.amountFen, 0n);
  const totalFen = subtotalFen - context.creditAppliedFen;
  const status = view === "finalized" ? "finalized" : statusOf(input);
  const amountPaidFen = status === "paid" ? totalFen : 0n;
  const payment = status === "paid" ? paymentOf(input) : undefined;
  return {
    number,
    status,
    issueDate: beijingDate(finalizedAt),
    dueDate: beijingDate(context.dueAt ?? finalizedAt),
    period: periodOf(context, finalizedAt),
    merchant: partyName(input.merchant.name),
    customer: {
      ...partyName(input.customer.name ?? input.customer.externalId),
      email: input.customer.email ?? "",
    },
    currency: "CNY",
    lines,
    subtotalFen,
    creditAppliedFen: context.creditAppliedFen,
    totalFen,
    amountPaidFen,
    amountDueFen: totalFen - amountPaidFen,
    ...(payment ? { payment } : {}),
  };
}

function statusOf(input: InvoiceSourceData): InvoiceDocumentStatus {
  switch (input.invoice.value) {
    case "paid":
      return "paid";
    case "void":
      return "voided";
    case "draft":
      return "draft";
    default:
      // open, uncollectible (written off by the merchant, still owed as far as the bill says)
      return "finalized";
  }
}

function paymentOf(input: InvoiceSourceData): InvoiceDocumentPayment | undefined {
  const { payment } = input;
  if (!payment || payment.transactionId === null) return undefined;
  const paidAt = payment.paidAt ?? input.invoice.context.paidAt;
  if (paidAt === null) return undefined;
  return { channel: payment.channel, transactionId: payment.transactionId, paidAt: beijingDateTime(paidAt) };
}

/** A purchase bills no period: its period is the issue day. */
function periodOf(context: InvoiceContext, finalizedAt: number): { start: string; end: string } {
  if (context.periodStart === null || context.periodEnd === null) {
    return { start: beijingDate(finalizedAt), end: beijingDate(finalizedAt) };
  }
  // periodEnd is exclusive (the next period's start): the last day shown is the one before it.
  return { start: beijingDate(context.periodStart), end: beijingDate(context.periodEnd - 1) };
}

const hanPattern = /\p{Script=Han}/u;

/** One name field in, the side it is written in out. */
function partyName(name: string): InvoiceDocumentPartyName {
  return hanPattern.test(name) ? { nameZh: name } : { nameEn: name };
}

function beijingDateTime(atMs: number): string {
  const iso = new Date(atMs + beijingOffsetMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} CST`;
}

/** Whole fen as a yuan decimal string: -1234n → "-12.34". */
function yuanOf(fen: bigint): string {
  const sign = fen < 0n ? "-" : "";
  const abs = fen < 0n ? -fen : fen;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}

export type RenderInvoicePdf = (document: InvoiceDocumentData) => Promise<Uint8Array>;

/**
 * Invoice documents and PDFs for the API. The source (billing's read model) is set by whoever owns
 * it; the renderer is injected from effects/ by bin/.
 */
export class InvoiceDocuments {
  private source: InvoiceSource | null = null;
  private readonly sourceListeners = new Set<() => void>();

  constructor(private readonly renderer: RenderInvoicePdf | undefined) {}

  setSource(source: InvoiceSource): void {
    this.source = source;
    for (const listener of this.sourceListeners) listener();
  }

  get currentSource(): InvoiceSource | null {
    return this.source;
  }

  /** Told when a source is set (the mail outbox waits for one). */
  onSource(listener: () => void): () => void {
    this.sourceListeners.add(listener);
    return () => this.sourceListeners.delete(listener);
  }

  /** The merchant's finalized billing invoice's document; 404 for others', 409 for drafts and receipts. */
  async document(env: Environment, merchantId: string, invoiceId: string): Promise<InvoiceDocumentData> {
    const data = await this.source?.read(invoiceId);
    if (!data || data.env !== env || data.merchantId !== merchantId) {
      throw new DomainError("invoice_not_found", `no invoice ${invoiceId}`);
    }
    if (!hasInvoiceDocument(data.invoice)) {
      throw new DomainError(
        "invoice_not_finalized",
        `invoice ${invoiceId} has no PDF: only finalized subscription and purchase invoices do`,
      );
    }
    return invoiceDocumentOf(data);
  }

  async renderPdf(
    env: Environment,
    merchantId: string,
    invoiceId: string,
  ): Promise<{ number: string; pdf: Uint8Array }> {
    const document = await this.document(env, merchantId, invoiceId);
    if (!this.renderer) throw new DomainError("not_found", "invoice PDFs are not enabled on this server");
    return { number: document.number, pdf: await this.renderer(document) };
  }
}
