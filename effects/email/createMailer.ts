import { setTimeout as sleepMs } from "node:timers/promises";
import { createTransport } from "nodemailer";
import { effectLimits } from "../limits.js";
import { messageIdLocalPart, type OutgoingEmail } from "./outgoingEmail.js";
import type { SentInfo, SentStore } from "./sentStore.js";
import { classifySmtpError, type EmailErrorCode, type SmtpFailure } from "./smtpErrors.js";

export type MailerOptions = {
  /** e.g. "smtp://user:pass@host:587"; query options such as `?ignoreTLS=true` are honoured. */
  smtpUrl: string;
  /** e.g. "北京某某科技 <billing@example.com>". */
  from: string;
  sendAttemptsMax?: number;
  retryDelayMsBase?: number;
  retryDelayMsMax?: number;
  /** Seams for tests; default to real timers and Math.random jitter. */
  sleep?: (delayMs: number) => Promise<void>;
  random?: () => number;
};

export type DeliveryResult =
  | { status: "sent"; info: SentInfo }
  | {
      status: "failed";
      code: EmailErrorCode;
      /** True when the outbox should schedule another try later. */
      retryable: boolean;
      attempts: number;
      detail: string;
      responseCode?: number;
    };

export type SendOnceResult = DeliveryResult | { status: "already_sent" };

export type Mailer = {
  /** Delivers with retries and backoff on transient failures; no deduplication. */
  send(message: OutgoingEmail): Promise<DeliveryResult>;
  /**
   * Delivers the message for `eventId` unless the store says it already went out.
   *
   * At least once, not exactly once: if the process dies after the SMTP server accepted the
   * message but before `markSent` is durable, the outbox retries and the customer may get a
   * second copy. That copy carries the same Message-ID (derived from `eventId`), so mail
   * clients and our logs can tell it is a duplicate rather than a second bill. Within one
   * process, concurrent calls for the same event share one delivery.
   */
  sendOnce(store: SentStore, eventId: string, message: OutgoingEmail): Promise<SendOnceResult>;
  close(): void;
};

export function createMailer(options: MailerOptions): Mailer {
  const transport = createTransport({
    url: options.smtpUrl,
    connectionTimeout: effectLimits.smtpConnectionTimeoutMs,
    greetingTimeout: effectLimits.smtpGreetingTimeoutMs,
    socketTimeout: effectLimits.smtpSocketTimeoutMs,
  });
  const attemptsMax = options.sendAttemptsMax ?? effectLimits.emailSendAttemptsMax;
  if (!(attemptsMax >= 1 && attemptsMax <= effectLimits.emailSendAttemptsMax)) {
    throw new Error(
      `assertion failed: sendAttemptsMax ${attemptsMax} outside 1..${effectLimits.emailSendAttemptsMax}`,
    );
  }
  const delayMsBase = options.retryDelayMsBase ?? effectLimits.emailRetryDelayMsBase;
  const delayMsMax = options.retryDelayMsMax ?? effectLimits.emailRetryDelayMsMax;
  const sleep = options.sleep ?? ((delayMs: number) => sleepMs(delayMs));
  const random = options.random ?? Math.random;
  const inFlight = new Map<string, Promise<SendOnceResult>>();

  async function attemptDelivery(message: OutgoingEmail, attempt: number): Promise<SentInfo> {
    const info = await transport.sendMail({
      from: options.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId: message.messageId,
      headers: message.headers,
      attachments: message.attachments.map((attachment) => ({
        filename: attachment.filename,
        content: Buffer.from(
          attachment.content.buffer,
          attachment.content.byteOffset,
          attachment.content.byteLength,
        ),
        contentType: attachment.contentType,
      })),
    });
    return {
      messageId: info.messageId,
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
      response: info.response,
      attempts: attempt,
    };
  }

  async function send(message: OutgoingEmail): Promise<DeliveryResult> {
    let failure: SmtpFailure = { transient: true, detail: "not attempted" };
    let attempt = 0;
    while (attempt < attemptsMax) {
      attempt++;
      if (attempt > 1) await sleep(retryDelayMs(attempt - 1, delayMsBase, delayMsMax, random));
      try {
        return { status: "sent", info: await attemptDelivery(message, attempt) };
      } catch (error) {
        failure = classifySmtpError(error);
        if (!failure.transient) break;
      }
    }
    return {
      status: "failed",
      code: failure.transient ? "smtp_unavailable" : "smtp_rejected",
      retryable: failure.transient,
      attempts: attempt,
      detail: failure.detail,
      ...(failure.responseCode === undefined ? {} : { responseCode: failure.responseCode }),
    };
  }

  async function deliverUnlessSent(store: SentStore, eventId: string, message: OutgoingEmail) {
    if (await store.wasSent(eventId)) return { status: "already_sent" } as const;
    const result = await send(message);
    if (result.status === "sent") await store.markSent(eventId, result.info);
    return result;
  }

  async function sendOnce(
    store: SentStore,
    eventId: string,
    message: OutgoingEmail,
  ): Promise<SendOnceResult> {
    const expectedPrefix = `<${messageIdLocalPart(eventId)}@`;
    if (!message.messageId.startsWith(expectedPrefix)) {
      throw new Error(
        `assertion failed: Message-ID ${message.messageId} does not derive from event ${eventId}`,
      );
    }
    const running = inFlight.get(eventId);
    if (running !== undefined) return running;
    const delivery = deliverUnlessSent(store, eventId, message);
    inFlight.set(eventId, delivery);
    try {
      return await delivery;
    } finally {
      inFlight.delete(eventId);
    }
  }

  return { send, sendOnce, close: () => transport.close() };
}

/** Exponential backoff with equal jitter: half the step fixed, half random. */
export function retryDelayMs(
  attempt: number,
  delayMsBase: number,
  delayMsMax: number,
  random: () => number,
): number {
  const stepMs = Math.min(delayMsMax, delayMsBase * 2 ** (attempt - 1));
  return Math.round(stepMs / 2 + random() * (stepMs / 2));
}
