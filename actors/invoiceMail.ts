import { limits } from "../domain/limits.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, LoggedFact } from "../wal/record.js";
import type { RecordFeed } from "./feed.js";
import {
  hasInvoiceDocument,
  invoiceDocumentOf,
  type InvoiceDocumentData,
  type InvoiceDocuments,
  type InvoiceSourceData,
  type RenderInvoicePdf,
} from "./invoiceDocuments.js";
import {
  InvoiceMailStore,
  type InvoiceMailJob,
  type InvoiceMailKind,
  type InvoiceMailSentStore,
} from "./invoiceMailStore.js";
import { RecordTail } from "./recordTail.js";

/** What the injected sender gets: the composed parts of one invoice email. */
export interface InvoiceMailMessage {
  /** Stable per fact: the Message-ID derives from it, and `sentStore` is keyed by it. */
  eventId: string;
  kind: InvoiceMailKind;
  document: InvoiceDocumentData;
  pdf: Uint8Array;
  /** Durable record of what went out (LevelDB, synced): pass it to the mailer's `sendOnce`. */
  sentStore: InvoiceMailSentStore;
}

/** The mailer's answer; effects' `SendOnceResult` fits it. */
export type InvoiceMailSendResult =
  | { status: "sent" | "already_sent" }
  | { status: "failed"; code: string; retryable: boolean; detail: string };

export type InvoiceMailSend = (message: InvoiceMailMessage) => Promise<InvoiceMailSendResult>;

export interface InvoiceMailPolicy {
  /** Send attempts before a transient failure is recorded as failed for good. */
  attemptsMax: number;
  retryDelayMsBase: number;
  retryDelayMsMax: number;
  /** Jobs being rendered or sent at once. */
  inFlightMax: number;
  /** Pending jobs held in memory; past it the outbox stops reading the log until some finish. */
  pendingLoadedMax: number;
}

/** About two days of retries: 30 s doubling to 1 h, twelve attempts. */
export const invoiceMailPolicyDefault: InvoiceMailPolicy = {
  attemptsMax: 12,
  retryDelayMsBase: 30_000,
  retryDelayMsMax: 3_600_000,
  inFlightMax: 4,
  pendingLoadedMax: 1_000,
};

/** The jobs of a listing by invoice. */
const jobsPerInvoiceMax = 100;

/** Which facts email the customer, and what kind of email each sends. */
function kindOf(fact: LoggedFact): InvoiceMailKind | undefined {
  if (fact.purpose !== "subscription" && fact.purpose !== "purchase") return undefined; // top-ups: none
  if (fact.type === "invoice.paid") return "paid";
  // Nothing was due: the finalized invoice is already paid, so the customer gets the receipt.
  if (fact.type === "invoice.finalized") return fact.status === "paid" ? "paid" : "finalized";
  return undefined;
}

function jobsOf(record: CommittedRecord, now: number): InvoiceMailJob[] {
  if (record.env === "platform" || record.merchantId === null) return [];
  const jobs: InvoiceMailJob[] = [];
  for (const [factIndex, fact] of record.facts.entries()) {
    const kind = kindOf(fact);
    if (kind === undefined || typeof fact.invoiceId !== "string") continue;
    jobs.push({
      eventId: `${record.seq}:${factIndex}`,
      seq: record.seq,
      factIndex,
      factType: fact.type as InvoiceMailJob["factType"],
      kind,
      invoiceId: fact.invoiceId,
      env: record.env,
      merchantId: record.merchantId,
      state: "pending",
      attempts: 0,
      createdAt: now,
      updatedAt: now,
      nextAttemptAt: now,
      to: null,
      reason: null,
      lastError: null,
    });
  }
  return jobs;
}

type Outcome =
  | { state: "sent" }
  | { state: "skipped" | "failed"; reason: string; error?: { code: string; detail: string } }
  | { state: "retry"; error: { code: string; detail: string } }
  /** Not tried: no invoice source yet. */
  | { state: "wait" };

type Attempted = Outcome & { to?: string | null };

/**
 * Emails the customer each finalized and each paid billing invoice, with its PDF. A durable
 * consumer of the log, like the webhook fan-out: a stored cursor, jobs written (synced) before
 * anything is sent, a restart resuming both. Sent events are remembered (synced) and the mailer's
 * `sendOnce` checks them, so a job run again after a restart does not mail twice. Transient
 * failures retry with per-job backoff; a few in flight at once, so one stuck job delays no other.
 */
export class InvoiceMailOutbox {
  readonly store: InvoiceMailStore;
  private readonly policy: InvoiceMailPolicy;
  private readonly pending = new Map<string, InvoiceMailJob>();
  private readonly running = new Map<string, Promise<void>>();
  private tail: RecordTail | null = null;
  private loop: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private roomWaiter: (() => void) | null = null;
  /** Pending jobs may wait on disk that are not in memory (more than fit were pending at start). */
  private pendingOnDisk = false;
  private cursor = 0;
  private cursorWrittenAt = 0;
  private stopped = false;
  private unsubscribeSource: (() => void) | null = null;

  constructor(
    private readonly log: Log,
    private readonly feed: RecordFeed,
    private readonly documents: InvoiceDocuments,
    private readonly renderPdf: RenderInvoicePdf,
    private readonly send: InvoiceMailSend,
    policy: Partial<InvoiceMailPolicy> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.store = new InvoiceMailStore(log);
    this.policy = { ...invoiceMailPolicyDefault, ...policy };
  }

  /** Resumes from the stored cursor; a first start begins at the head (no mail for old invoices). */
  async start(): Promise<void> {
    const stored = await this.store.cursor();
    this.cursor = stored ?? this.log.durableHead;
    if (stored === undefined) await this.store.write([this.store.cursorOp(this.cursor)]);
    await this.loadPending();
    this.tail = new RecordTail(this.log, this.feed, {
      afterSeq: this.cursor,
      accepts: (record) => record.facts.some((fact) => kindOf(fact) !== undefined),
      backlogRecordsMax: limits.feedBacklogRecordsMax,
      progressRecords: limits.tailReadRecordsMax,
    });
    this.unsubscribeSource = this.documents.onSource(() => this.pump());
    this.loop = this.run();
    this.pump();
  }

  /** Stops reading and sending; waits for the jobs in flight to record their outcome. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribeSource?.();
    if (this.timer) clearTimeout(this.timer);
    this.tail?.close();
    this.wakeRoom();
    await this.loop;
    await Promise.all(this.running.values());
    if (this.tail && this.tail.through > this.cursor) {
      await this.store.write([this.store.cursorOp(this.tail.through)]);
    }
  }

  /** The emails owed for an invoice, oldest first: what went out, what waits, what failed and why. */
  status(invoiceId: string): Promise<InvoiceMailJob[]> {
    return this.store.byInvoice(invoiceId, jobsPerInvoiceMax);
  }

  private async loadPending(): Promise<void> {
    const jobs = await this.store.pending(this.policy.pendingLoadedMax);
    for (const job of jobs) {
      if (!this.pending.has(job.eventId)) this.pending.set(job.eventId, job);
    }
    this.pendingOnDisk = jobs.length >= this.policy.pendingLoadedMax;
  }

  private async run(): Promise<void> {
    for (;;) {
      while (!this.stopped && this.pending.size >= this.policy.pendingLoadedMax) {
        await new Promise<void>((resolve) => (this.roomWaiter = resolve));
      }
      const batch = await this.tail?.pull();
      if (!batch) return;
      try {
        await this.handle(batch.records, batch.through);
      } catch (error) {
        // The cursor did not move: the tail reads these records again.
        console.error("invoice mail: recording jobs failed; retrying from the cursor", error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        this.tail?.rewind(this.cursor);
      }
    }
  }

  private async handle(records: readonly CommittedRecord[], through: number): Promise<void> {
    const now = this.now();
    const found = records.flatMap((record) => jobsOf(record, now));
    const existing = await this.store.existing(found);
    const created = found.filter((job) => !existing.has(job.eventId));
    const moveCursor =
      through > this.cursor &&
      (found.length > 0 || now - this.cursorWrittenAt >= limits.outboxCursorFlushIntervalMs);
    const ops = created.flatMap((job) => this.store.createOps(job));
    if (moveCursor) ops.push(this.store.cursorOp(through));
    await this.store.write(ops);
    if (moveCursor) {
      this.cursor = through;
      this.cursorWrittenAt = now;
    }
    for (const job of created) this.pending.set(job.eventId, job);
    if (created.length > 0) this.pump();
  }

  private pump(): void {
    if (this.stopped || this.documents.currentSource === null) return;
    const now = this.now();
    let nextAt = Infinity;
    for (const job of this.pending.values()) {
      if (this.running.size >= this.policy.inFlightMax) break;
      if (this.running.has(job.eventId)) continue;
      if (job.nextAttemptAt > now) {
        nextAt = Math.min(nextAt, job.nextAttemptAt);
        continue;
      }
      const attempt = this.attempt(job)
        .catch((error: unknown) => {
          // The outcome was not written: try the job again later, not in a tight loop.
          console.error(`invoice mail ${job.eventId}: outcome not recorded`, error);
          const current = this.pending.get(job.eventId);
          if (current) current.nextAttemptAt = this.now() + this.policy.retryDelayMsBase;
        })
        .finally(() => {
          this.running.delete(job.eventId);
          this.pump();
        });
      this.running.set(job.eventId, attempt);
    }
    this.wakeAt(nextAt, now);
  }

  private wakeAt(at: number, now: number): void {
    if (at === Infinity || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, at - now);
    this.timer.unref();
  }

  private async attempt(job: InvoiceMailJob): Promise<void> {
    const outcome = await this.deliver(job);
    if (outcome.state === "wait") return;
    const now = this.now();
    const attempts = job.attempts + (outcome.state === "skipped" ? 0 : 1);
    const next: InvoiceMailJob = { ...job, attempts, updatedAt: now, to: outcome.to ?? job.to };
    if (outcome.state === "retry") {
      next.lastError = outcome.error;
      if (attempts >= this.policy.attemptsMax) {
        Object.assign(next, { state: "failed", reason: outcome.error.code });
      } else {
        next.nextAttemptAt = now + this.retryDelayMs(attempts);
      }
    } else if (outcome.state === "sent") {
      next.state = "sent";
    } else {
      Object.assign(next, { state: outcome.state, reason: outcome.reason, lastError: outcome.error ?? null });
    }
    await this.store.write(this.store.updateOps(next));
    if (next.state === "pending") {
      this.pending.set(next.eventId, next);
      return;
    }
    this.pending.delete(next.eventId);
    this.wakeRoom();
    if (this.pending.size === 0 && this.pendingOnDisk) await this.loadPending();
  }

  private async deliver(job: InvoiceMailJob): Promise<Attempted> {
    const source = this.documents.currentSource;
    if (source === null) return { state: "wait" };
    let data;
    try {
      data = await source.read(job.invoiceId);
    } catch (error) {
      return { state: "retry", error: { code: "invoice_source_error", detail: messageOf(error) } };
    }
    if (!data) {
      const detail = `invoice ${job.invoiceId} is not in the source yet`;
      return { state: "retry", error: { code: "invoice_not_found", detail } };
    }
    if (data.env !== job.env || data.merchantId !== job.merchantId) {
      return { state: "failed", reason: "invoice_owner_mismatch" };
    }
    const to = data.customer.email;
    if (to === null || to.length === 0) return { state: "skipped", reason: "customer_has_no_email", to };
    return { ...(await this.renderAndSend(job, data)), to };
  }

  private async renderAndSend(job: InvoiceMailJob, data: InvoiceSourceData): Promise<Outcome> {
    // A read model that lags the log catches up: try again later rather than mail a stale invoice.
    if (!hasInvoiceDocument(data.invoice) || (job.kind === "paid" && data.invoice.value !== "paid")) {
      const detail = `invoice ${job.invoiceId} is ${data.invoice.value} in the source`;
      return { state: "retry", error: { code: "invoice_not_ready", detail } };
    }
    const closed = data.invoice.value === "void" || data.invoice.value === "uncollectible";
    if (job.kind === "finalized" && closed) {
      return { state: "skipped", reason: `invoice_${data.invoice.value}` };
    }
    let document: InvoiceDocumentData;
    let pdf: Uint8Array;
    try {
      document = invoiceDocumentOf(data, job.kind === "finalized" ? "finalized" : "current");
      pdf = await this.renderPdf(document);
    } catch (error) {
      // The same invoice renders the same way every time: trying again will not help.
      const detail = messageOf(error);
      return { state: "failed", reason: "render_failed", error: { code: "render_failed", detail } };
    }
    let result: InvoiceMailSendResult;
    try {
      result = await this.send({
        eventId: job.eventId,
        kind: job.kind,
        document,
        pdf,
        sentStore: this.store,
      });
    } catch (error) {
      return { state: "retry", error: { code: "send_error", detail: messageOf(error) } };
    }
    if (result.status !== "failed") return { state: "sent" };
    const error = { code: result.code, detail: result.detail };
    return result.retryable ? { state: "retry", error } : { state: "failed", reason: result.code, error };
  }

  /** Exponential backoff with equal jitter, per job. */
  private retryDelayMs(attempts: number): number {
    const { retryDelayMsBase, retryDelayMsMax } = this.policy;
    const stepMs = Math.min(retryDelayMsMax, retryDelayMsBase * 2 ** Math.min(attempts - 1, 30));
    return Math.round(stepMs / 2 + Math.random() * (stepMs / 2));
  }

  private wakeRoom(): void {
    const waiter = this.roomWaiter;
    this.roomWaiter = null;
    waiter?.();
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
