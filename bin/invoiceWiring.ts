import type { InvoiceEffects, InvoiceMailPolicy, InvoiceMailSend } from "../actors/index.js";
import {
  composeInvoiceEmail,
  createMailer,
  renderInvoicePdf,
  type Mailer,
  type MailerOptions,
} from "../effects/index.js";

export interface InvoiceWiringOptions {
  /** e.g. "smtp://user:pass@smtp.example.com:587"; without it no invoice email is sent. */
  smtpUrl?: string | undefined;
  /** The From header; its domain is also the Message-ID's right-hand side. */
  from?: string | undefined;
  /** Mailer tuning (tests shorten the retry delays). */
  mailer?: Partial<Omit<MailerOptions, "smtpUrl" | "from">>;
  mail?: Partial<InvoiceMailPolicy>;
}

export const invoiceMailFromDefault = "BuffMoney Billing <billing@buffmoney.invalid>";

/** The outbox retries for days; one send tries SMTP only a few times before it reschedules. */
const sendAttemptsPerJob = 3;

/** Invoice PDFs always; invoice email when an SMTP URL is given. Close the mailer on shutdown. */
export function createInvoiceWiring(options: InvoiceWiringOptions = {}): {
  effects: InvoiceEffects;
  close(): void;
} {
  if (!options.smtpUrl) return { effects: { renderPdf: renderInvoicePdf }, close: () => {} };
  const from = options.from ?? invoiceMailFromDefault;
  const mailer = createMailer({
    sendAttemptsMax: sendAttemptsPerJob,
    ...options.mailer,
    smtpUrl: options.smtpUrl,
    from,
  });
  return {
    effects: {
      renderPdf: renderInvoicePdf,
      send: invoiceMailSender(mailer, domainOf(from)),
      ...(options.mail ? { mail: options.mail } : {}),
    },
    close: () => mailer.close(),
  };
}

export function invoiceMailSender(mailer: Mailer, messageIdDomain: string): InvoiceMailSend {
  return (message) =>
    mailer.sendOnce(
      message.sentStore,
      message.eventId,
      composeInvoiceEmail({
        invoice: message.document,
        pdf: message.pdf,
        kind: message.kind,
        eventId: message.eventId,
        messageIdDomain,
      }),
    );
}

/** "北京某某 <billing@mouse.example>" → "mouse.example". */
function domainOf(from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1];
  if (!domain) throw new Error(`SMTP_FROM "${from}" has no address with a domain`);
  return domain;
}
