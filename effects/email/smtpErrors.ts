/** Stable codes for a message that did not go out. */
export type EmailErrorCode =
  /** The server refused the message for good (5xx); resending the same message will not help. */
  | "smtp_rejected"
  /** No server reached or a 4xx reply on every attempt; the outbox should try again later. */
  | "smtp_unavailable";

export type SmtpFailure = { transient: boolean; detail: string; responseCode?: number };

/** Connection-level failures, whether Nodemailer wraps them (ESOCKET) or passes them through. */
const transientCodes = new Set([
  "ECONNECTION",
  "ETIMEDOUT",
  "ESOCKET",
  "EDNS",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * RFC 5321: a 4yz reply is transient, a 5yz reply permanent, except 503 (bad sequence), which a
 * new connection can clear. Without a reply, only connection failures are worth retrying;
 * bad credentials or configuration will fail the same way every time.
 */
export function classifySmtpError(error: unknown): SmtpFailure {
  const fields = readErrorFields(error);
  const detail = fields.message;
  if (fields.responseCode !== undefined) {
    const permanent = fields.responseCode >= 500 && fields.responseCode < 600 && fields.responseCode !== 503;
    return { transient: !permanent, detail, responseCode: fields.responseCode };
  }
  const transient = [fields.code, fields.originalCode].some(
    (code) => code !== undefined && transientCodes.has(code),
  );
  return { transient, detail };
}

type ErrorFields = { message: string; code?: string; originalCode?: string; responseCode?: number };

function readErrorFields(error: unknown): ErrorFields {
  if (!(error instanceof Error)) return { message: String(error) };
  const record = error as Error & Record<string, unknown>;
  const fields: ErrorFields = { message: error.message };
  if (typeof record.code === "string") fields.code = record.code;
  if (typeof record.originalCode === "string") fields.originalCode = record.originalCode;
  if (typeof record.responseCode === "number") fields.responseCode = record.responseCode;
  return fields;
}
