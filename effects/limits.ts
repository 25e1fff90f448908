/**
 * Bounds of the effects in this folder, unit last. They belong with the others in
 * `domain/limits.ts`; they live here until that file is changed by its owner.
 */
export const effectLimits = {
  invoiceLinesMax: 1_000,
  invoiceLineDescriptionLengthMax: 500,
  invoiceTextLengthMax: 500,
  invoiceAddressLinesMax: 6,
  emailSendAttemptsMax: 5,
  emailRetryDelayMsBase: 500,
  emailRetryDelayMsMax: 30_000,
  smtpConnectionTimeoutMs: 10_000,
  smtpGreetingTimeoutMs: 10_000,
  smtpSocketTimeoutMs: 60_000,
} as const;
