import type { Environment } from "../domain/environment.js";
import type { Log } from "../wal/log.js";
import { padSeq } from "../wal/keys.js";
import type { IndexOp } from "../wal/record.js";

export type InvoiceMailKind = "finalized" | "paid";

/** pending: will be (re)tried; sent; skipped (nothing to send, e.g. no email); failed for good. */
export type InvoiceMailState = "pending" | "sent" | "skipped" | "failed";

/** One email the outbox owes for one fact: `${seq}:${factIndex}` of the record that stated it. */
export interface InvoiceMailJob {
  eventId: string;
  seq: number;
  factIndex: number;
  factType: "invoice.finalized" | "invoice.paid";
  kind: InvoiceMailKind;
  invoiceId: string;
  env: Environment;
  merchantId: string;
  state: InvoiceMailState;
  /** Send attempts made (each may try SMTP several times). */
  attempts: number;
  createdAt: number;
  updatedAt: number;
  /** When a pending job is tried next. */
  nextAttemptAt: number;
  /** The recipient, once known. */
  to: string | null;
  /** Why a job was skipped or failed for good, e.g. "customer_has_no_email", "smtp_rejected". */
  reason: string | null;
  lastError: { code: string; detail: string } | null;
}

/** What the SMTP server said when it took a message; the same shape as effects' `SentInfo`. */
export type InvoiceMailSentInfo = {
  messageId: string;
  accepted: string[];
  rejected: string[];
  response: string;
  attempts: number;
};

/** Which events already produced an email; the same shape as effects' `SentStore`. */
export type InvoiceMailSentStore = {
  wasSent(eventId: string): Promise<boolean>;
  markSent(eventId: string, info: InvoiceMailSentInfo): Promise<void>;
};

/**
 * Outbox bookkeeping under `x!im!`, outside the ledger and written with `sync: true`:
 *   x!im!c                          cursor: every ledger record up to it has its jobs
 *   x!im!j!<seq>!<fact>             the job
 *   x!im!p!<seq>!<fact>             pending jobs, oldest first
 *   x!im!i!<invoice>!<seq>!<fact>   jobs of an invoice
 *   x!im!s!<eventId>                sent: what the SMTP server answered
 */
export const invoiceMailKeys = {
  cursor: "x!im!c",
  job: (seq: number, factIndex: number) => `x!im!j!${padSeq(seq)}!${factIndex}`,
  pendingPrefix: "x!im!p!",
  pending: (seq: number, factIndex: number) => `x!im!p!${padSeq(seq)}!${factIndex}`,
  invoicePrefix: (invoiceId: string) => `x!im!i!${invoiceId}!`,
  invoice: (invoiceId: string, seq: number, factIndex: number) =>
    `x!im!i!${invoiceId}!${padSeq(seq)}!${factIndex}`,
  sent: (eventId: string) => `x!im!s!${eventId}`,
} as const;

const jobKeyOf = (pendingOrIndexKey: string) => `x!im!j!${pendingOrIndexKey.split("!").slice(-2).join("!")}`;

export class InvoiceMailStore implements InvoiceMailSentStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly log: Log) {}

  /** Synced, and in the order made. */
  write(ops: readonly IndexOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    const written = this.writing.then(() => this.log.writeOps([...ops], { sync: true }));
    this.writing = written.catch(() => {});
    return written;
  }

  async cursor(): Promise<number | undefined> {
    const stored = await this.log.get(invoiceMailKeys.cursor);
    return stored === undefined ? undefined : Number(stored);
  }

  cursorOp(seq: number): IndexOp {
    return { type: "put", key: invoiceMailKeys.cursor, value: String(seq) };
  }

  createOps(job: InvoiceMailJob): IndexOp[] {
    return [
      ...this.updateOps(job),
      { type: "put", key: invoiceMailKeys.invoice(job.invoiceId, job.seq, job.factIndex), value: "" },
    ];
  }

  updateOps(job: InvoiceMailJob): IndexOp[] {
    const pendingKey = invoiceMailKeys.pending(job.seq, job.factIndex);
    return [
      { type: "put", key: invoiceMailKeys.job(job.seq, job.factIndex), value: JSON.stringify(job) },
      job.state === "pending"
        ? { type: "put", key: pendingKey, value: "" }
        : { type: "del", key: pendingKey },
    ];
  }

  /** Which of these jobs exist already (a record read again after a restart). */
  async existing(jobs: readonly InvoiceMailJob[]): Promise<Set<string>> {
    if (jobs.length === 0) return new Set();
    const values = await this.log.db.getMany(jobs.map((job) => invoiceMailKeys.job(job.seq, job.factIndex)));
    return new Set(jobs.filter((_, i) => values[i] !== undefined).map((job) => job.eventId));
  }

  /** Pending jobs, oldest first. */
  async pending(limit: number): Promise<InvoiceMailJob[]> {
    const keys: string[] = [];
    const range = { gt: invoiceMailKeys.pendingPrefix, lt: `${invoiceMailKeys.pendingPrefix}~`, limit };
    for await (const key of this.log.db.keys(range)) keys.push(jobKeyOf(key));
    return this.jobs(keys);
  }

  async byInvoice(invoiceId: string, limit: number): Promise<InvoiceMailJob[]> {
    const prefix = invoiceMailKeys.invoicePrefix(invoiceId);
    const keys: string[] = [];
    for await (const key of this.log.db.keys({ gt: prefix, lt: `${prefix}~`, limit }))
      keys.push(jobKeyOf(key));
    return this.jobs(keys);
  }

  private async jobs(keys: readonly string[]): Promise<InvoiceMailJob[]> {
    if (keys.length === 0) return [];
    const values = await this.log.db.getMany([...keys]);
    return values.flatMap((value) => (value === undefined ? [] : [JSON.parse(value) as InvoiceMailJob]));
  }

  async wasSent(eventId: string): Promise<boolean> {
    return (await this.log.get(invoiceMailKeys.sent(eventId))) !== undefined;
  }

  markSent(eventId: string, info: InvoiceMailSentInfo): Promise<void> {
    return this.write([{ type: "put", key: invoiceMailKeys.sent(eventId), value: JSON.stringify(info) }]);
  }
}
