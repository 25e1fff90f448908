import { effectLimits } from "../limits.js";

/**
 * The invoice as the customer sees it: every number already computed upstream. Renderers only
 * format; `assertInvoiceDocument` checks that the numbers agree before anything is drawn.
 */
export type InvoiceDocument = {
  /** e.g. "BM-TEST-000042". */
  number: string;
  status: InvoiceStatus;
  /** Calendar dates in Beijing time, "YYYY-MM-DD". */
  issueDate: string;
  dueDate: string;
  period: { start: string; end: string };
  merchant: InvoiceMerchant;
  customer: InvoiceCustomer;
  currency: "CNY";
  lines: readonly InvoiceLine[];
  subtotalFen: bigint;
  creditAppliedFen: bigint;
  totalFen: bigint;
  amountPaidFen: bigint;
  amountDueFen: bigint;
  /** Display text, e.g. "FX locked at BOC midpoint 7.1234 + 0.50% spread = 7.1590 CNY per USD, …". */
  fxNote?: string;
  payment?: InvoicePayment;
};

export type InvoiceStatus = "draft" | "finalized" | "paid" | "voided";

/** A party has a Chinese name, an English name, or both. */
export type PartyName = { nameZh?: string; nameEn?: string };

export type InvoiceMerchant = PartyName & {
  addressLines?: readonly string[];
  /** Company registration number of the issuer. */
  registrationNumber?: string;
  email?: string;
};

export type InvoiceCustomer = PartyName & {
  email: string;
  /** 统一社会信用代码 (18 characters) of a business buyer. */
  taxId?: string;
  addressLines?: readonly string[];
};

export type InvoiceLine = {
  description: string;
  /** Optional Chinese description shown under the English one. */
  descriptionZh?: string;
  /** Decimal strings, e.g. "1200000" and "0.0002"; unit amounts may be finer than a fen. */
  quantity: string;
  /** Null when the line has no single unit price (metered usage under tiers): shown as a dash. */
  unitAmount: string | null;
  amountFen: bigint;
};

export type InvoicePayment = {
  channel: "wechat_pay" | "alipay";
  /** WeChat Pay transaction_id or Alipay trade_no. */
  transactionId: string;
  /** Display text in Beijing time, e.g. "2026-11-27 10:05 CST". */
  paidAt: string;
};

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const decimalPattern = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Crashes on a malformed view: a bad invoice must never reach a customer's inbox. */
export function assertInvoiceDocument(invoice: InvoiceDocument): void {
  assert(invoice.number.length > 0 && invoice.number.length <= 64, "invoice number must be 1–64 chars");
  for (const date of [invoice.issueDate, invoice.dueDate, invoice.period.start, invoice.period.end]) {
    assert(datePattern.test(date), `invoice ${invoice.number}: date "${date}" is not YYYY-MM-DD`);
  }
  assertName(invoice.merchant, `invoice ${invoice.number}: merchant`);
  assertName(invoice.customer, `invoice ${invoice.number}: customer`);
  assert(invoice.lines.length <= effectLimits.invoiceLinesMax, `invoice ${invoice.number}: too many lines`);
  for (const [index, line] of invoice.lines.entries()) {
    const where = `invoice ${invoice.number} line ${index + 1}`;
    assert(decimalPattern.test(line.quantity), `${where}: quantity "${line.quantity}" is not a decimal`);
    assert(
      line.unitAmount === null || decimalPattern.test(line.unitAmount),
      `${where}: unit amount "${line.unitAmount}" is not a decimal`,
    );
    assert(line.description.length <= effectLimits.invoiceLineDescriptionLengthMax, `${where}: too long`);
  }
  for (const party of [invoice.merchant, invoice.customer]) {
    const addressLines = party.addressLines?.length ?? 0;
    assert(
      addressLines <= effectLimits.invoiceAddressLinesMax,
      `invoice ${invoice.number}: too many address lines`,
    );
  }
  const texts = [
    invoice.fxNote,
    invoice.merchant.nameZh,
    invoice.merchant.nameEn,
    invoice.customer.nameZh,
    invoice.customer.nameEn,
    invoice.payment?.transactionId,
    invoice.payment?.paidAt,
    ...(invoice.merchant.addressLines ?? []),
    ...(invoice.customer.addressLines ?? []),
    ...invoice.lines.map((line) => line.descriptionZh),
  ];
  for (const text of texts) {
    assert(
      (text ?? "").length <= effectLimits.invoiceTextLengthMax,
      `invoice ${invoice.number}: text too long`,
    );
  }
  assertTotalsAgree(invoice);
}

function assertTotalsAgree(invoice: InvoiceDocument): void {
  const linesFen = invoice.lines.reduce((sum, line) => sum + line.amountFen, 0n);
  const where = `invoice ${invoice.number}`;
  assert(
    linesFen === invoice.subtotalFen,
    `${where}: lines sum to ${linesFen} fen, subtotal says ${invoice.subtotalFen}`,
  );
  assert(
    invoice.subtotalFen - invoice.creditAppliedFen === invoice.totalFen,
    `${where}: subtotal − credit applied ≠ total`,
  );
  assert(
    invoice.totalFen - invoice.amountPaidFen === invoice.amountDueFen,
    `${where}: total − paid ≠ amount due`,
  );
  assert(
    invoice.creditAppliedFen >= 0n && invoice.amountPaidFen >= 0n,
    `${where}: negative credit applied or payment`,
  );
  assert(invoice.amountDueFen >= 0n, `${where}: amount due is negative`);
}

function assertName(party: PartyName, where: string): void {
  const names = [party.nameZh, party.nameEn].filter((name) => name !== undefined && name.length > 0);
  assert(names.length > 0, `${where} needs a Chinese or an English name`);
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
