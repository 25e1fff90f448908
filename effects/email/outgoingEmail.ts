import { createHash } from "node:crypto";

/** A fully composed message; the mailer adds only `From` and the transport's own headers. */
export type OutgoingEmail = {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** "<local@domain>", derived from the outbox event id by `messageIdFor`. */
  messageId: string;
  headers: Record<string, string>;
  attachments: readonly EmailAttachment[];
};

export type EmailAttachment = { filename: string; content: Uint8Array; contentType: string };

const safeEventIdPattern = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * The Message-ID local part for an event: the id itself when it is safe in a header, else its
 * SHA-256. The same event always gives the same Message-ID, so a resend after a crash is
 * recognizably the same message (mail stores and our own logs can match it).
 */
export function messageIdLocalPart(eventId: string): string {
  if (safeEventIdPattern.test(eventId)) return `bm.${eventId}`;
  return `bm.sha256-${createHash("sha256").update(eventId).digest("hex").slice(0, 40)}`;
}

export function messageIdFor(eventId: string, domain: string): string {
  return `<${messageIdLocalPart(eventId)}@${domain}>`;
}
