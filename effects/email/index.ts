export { createMailer, retryDelayMs } from "./createMailer.js";
export type { Mailer, MailerOptions, DeliveryResult, SendOnceResult } from "./createMailer.js";
export { composeInvoiceEmail } from "./composeInvoiceEmail.js";
export type { ComposeInvoiceEmailInput, InvoiceEmailKind } from "./composeInvoiceEmail.js";
export { messageIdFor } from "./outgoingEmail.js";
export type { OutgoingEmail, EmailAttachment } from "./outgoingEmail.js";
export type { SentStore, SentInfo } from "./sentStore.js";
export { classifySmtpError } from "./smtpErrors.js";
export type { EmailErrorCode } from "./smtpErrors.js";
