/**
 * What leaves the system after commit: invoice PDFs and email. Import effects only from here;
 * test helpers live in `effects/testing.ts`.
 */
export { renderInvoicePdf, formatFen, notFapiaoStatement, notFapiaoLabel } from "./invoicePdf/index.js";
export type {
  InvoiceDocument,
  InvoiceStatus,
  InvoiceMerchant,
  InvoiceCustomer,
  InvoiceLine,
  InvoicePayment,
  PartyName,
} from "./invoicePdf/index.js";
export { createMailer, composeInvoiceEmail, messageIdFor, classifySmtpError } from "./email/index.js";
export type {
  Mailer,
  MailerOptions,
  DeliveryResult,
  SendOnceResult,
  ComposeInvoiceEmailInput,
  InvoiceEmailKind,
  OutgoingEmail,
  EmailAttachment,
  SentStore,
  SentInfo,
  EmailErrorCode,
} from "./email/index.js";
export { effectLimits } from "./limits.js";
