import { partyName, type InvoiceDocument } from "../invoicePdf/index.js";
import { invoiceEmailHtml, invoiceEmailText, type InvoiceEmailKind } from "./invoiceEmailBodies.js";
import { messageIdFor, type OutgoingEmail } from "./outgoingEmail.js";

export type { InvoiceEmailKind };

export type ComposeInvoiceEmailInput = {
  invoice: InvoiceDocument;
  /** The bytes from `renderInvoicePdf`, attached unchanged. */
  pdf: Uint8Array;
  kind: InvoiceEmailKind;
  /** The outbox event id (e.g. the `invoice.finalized` fact's id); the Message-ID derives from it. */
  eventId: string;
  /** Right-hand side of the Message-ID; pass the sending domain in production. */
  messageIdDomain?: string;
};

const messageIdDomainDefault = "buffmoney.invalid";
const fileNameUnsafe = /[^A-Za-z0-9_-]/g;

/** Builds the bilingual invoice email. Pure: the same input gives the same message. */
export function composeInvoiceEmail(input: ComposeInvoiceEmailInput): OutgoingEmail {
  const { invoice, pdf, kind, eventId } = input;
  return {
    to: invoice.customer.email,
    subject: invoiceEmailSubject(invoice, kind),
    text: invoiceEmailText(invoice, kind),
    html: invoiceEmailHtml(invoice, kind),
    messageId: messageIdFor(eventId, input.messageIdDomain ?? messageIdDomainDefault),
    headers: {
      // RFC 3834: tells autoresponders not to answer a machine-sent bill.
      "Auto-Submitted": "auto-generated",
      "X-BuffMoney-Event-Id": eventId,
      "X-BuffMoney-Invoice": invoice.number,
    },
    attachments: [
      {
        filename: `invoice-${invoice.number.replace(fileNameUnsafe, "_")}.pdf`,
        content: pdf,
        contentType: "application/pdf",
      },
    ],
  };
}

/** English first, then Chinese; the Chinese side says 账单 (bill), never 发票 (fapiao). */
export function invoiceEmailSubject(invoice: InvoiceDocument, kind: InvoiceEmailKind): string {
  const merchantEn = partyName(invoice.merchant, "en");
  const merchantZh = partyName(invoice.merchant, "zh");
  if (kind === "paid") {
    return `Receipt for invoice ${invoice.number} from ${merchantEn} / ${merchantZh} 账单 ${invoice.number} 付款收据`;
  }
  return `Invoice ${invoice.number} from ${merchantEn} / ${merchantZh} 账单 ${invoice.number}`;
}
