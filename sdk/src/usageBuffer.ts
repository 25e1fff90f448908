import type { UsageEventParams } from "./resources/usageEvents.js";
import type { UsageEventResult, UsageIngestResult } from "./usageTypes.js";

export interface UsageBufferOptions {
  /** Events per call, 1–500. Default 500. */
  maxBatchSize?: number;
  /**
   * Bytes of JSON per call: a batch leaves before it would pass this, so events with large
   * dimensions stay under the server's 1 MiB body limit. Default 900,000.
   */
  maxBatchBytes?: number;
  /** How long the first event of a partial batch waits for company before it is sent. Default 100 ms. */
  flushIntervalMs?: number;
  /** Calls in flight at once; a full batch waits for a free one. Default 4. */
  maxConcurrentBatches?: number;
  /** Events held (waiting and in flight) before `record` refuses more. Default 10,000. */
  maxBufferedEvents?: number;
  /**
   * Told of each call that failed after the client's retries, with its events (safe to send again:
   * their idempotency keys dedupe them). The records of that batch reject as well; a record nobody
   * awaits does not make an unhandled rejection.
   */
  onError?: ((error: unknown, events: UsageEventParams[]) => void) | undefined;
}

interface Waiting {
  event: UsageEventParams;
  /** The event's JSON in UTF-8 bytes, and a comma. */
  bytes: number;
  resolve: (result: UsageEventResult) => void;
  reject: (error: unknown) => void;
}

/** Thrown by `record` when the buffer holds `maxBufferedEvents`, or after `close`. */
export class UsageBufferError extends Error {
  override readonly name = "UsageBufferError";
}

/**
 * Collects events recorded one at a time (one per metered action) into `usageEvents.ingest` calls:
 * a batch leaves when it is full or `flushIntervalMs` after its first event, with at most
 * `maxConcurrentBatches` in flight. Each `record` resolves with its own event's result. A call that
 * fails after the client's retries rejects the records of that batch, and only those; each event's
 * idempotency key makes sending them again safe. Call `close` (or `flush`) before the process exits.
 */
export class UsageBuffer {
  private readonly maxBatchSize: number;
  private readonly maxBatchBytes: number;
  private readonly flushIntervalMs: number;
  private readonly maxConcurrentBatches: number;
  private readonly maxBufferedEvents: number;
  private readonly onError: UsageBufferOptions["onError"];
  private waiting: Waiting[] = [];
  private waitingBytes = 0;
  private inFlight = new Set<Promise<void>>();
  private inFlightEvents = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The oldest waiting event has waited `flushIntervalMs`: send a partial batch at the first free call. */
  private due = false;
  private closed = false;

  constructor(
    private readonly send: (events: UsageEventParams[]) => Promise<UsageIngestResult>,
    options: UsageBufferOptions = {},
  ) {
    this.maxBatchSize = whole("maxBatchSize", options.maxBatchSize ?? 500, 1, 500);
    this.maxBatchBytes = whole("maxBatchBytes", options.maxBatchBytes ?? 900_000, 1_024, 1_048_000);
    this.flushIntervalMs = whole("flushIntervalMs", options.flushIntervalMs ?? 100, 0, 60_000);
    this.maxConcurrentBatches = whole("maxConcurrentBatches", options.maxConcurrentBatches ?? 4, 1, 64);
    this.maxBufferedEvents = whole(
      "maxBufferedEvents",
      options.maxBufferedEvents ?? 10_000,
      this.maxBatchSize,
      10_000_000,
    );
    this.onError = options.onError;
  }

  /** Events waiting and in flight. */
  get size(): number {
    return this.waiting.length + this.inFlightEvents;
  }

  /** Queues one event; resolves with its result once its batch is answered. */
  record(event: UsageEventParams): Promise<UsageEventResult> {
    if (this.closed) return Promise.reject(new UsageBufferError("the usage buffer is closed"));
    if (this.size >= this.maxBufferedEvents) {
      return Promise.reject(
        new UsageBufferError(
          `the usage buffer holds ${this.maxBufferedEvents} events (maxBufferedEvents); await earlier records or raise the bound`,
        ),
      );
    }
    const bytes = utf8.encode(JSON.stringify(event)).length + 1;
    const recorded = new Promise<UsageEventResult>((resolve, reject) => {
      this.waiting.push({ event, bytes, resolve, reject });
      this.waitingBytes += bytes;
      this.pump(false);
    });
    // Recording without awaiting is the common use: its failure is told to onError, not thrown.
    recorded.catch(() => undefined);
    return recorded;
  }

  /** Sends everything recorded so far and waits until every batch is answered. */
  async flush(): Promise<void> {
    while (this.waiting.length > 0 || this.inFlight.size > 0) {
      this.pump(true);
      if (this.inFlight.size > 0) await Promise.race(this.inFlight);
    }
  }

  /** Flushes, then refuses further records. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Sends full batches while calls are free; `all` (or a due timer) sends a partial one too. */
  private pump(all: boolean): void {
    while (
      this.inFlight.size < this.maxConcurrentBatches &&
      (this.waiting.length >= this.maxBatchSize ||
        this.waitingBytes >= this.maxBatchBytes ||
        ((all || this.due) && this.waiting.length > 0))
    ) {
      this.dispatch(this.nextBatch());
    }
    if (this.waiting.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.due = false;
    } else if (!this.due) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.due = true;
        this.pump(false);
      }, this.flushIntervalMs);
    }
  }

  /** The oldest waiting events that fit one call: at most maxBatchSize, and maxBatchBytes (one at least). */
  private nextBatch(): Waiting[] {
    let count = 0;
    let bytes = 0;
    for (const w of this.waiting) {
      if (count === this.maxBatchSize || (count > 0 && bytes + w.bytes > this.maxBatchBytes)) break;
      count += 1;
      bytes += w.bytes;
    }
    this.waitingBytes -= bytes;
    return this.waiting.splice(0, count);
  }

  private dispatch(batch: Waiting[]): void {
    this.inFlightEvents += batch.length;
    const call: Promise<void> = this.send(batch.map((w) => w.event))
      .then(
        ({ results }) => {
          batch.forEach((w, i) => {
            const result = results[i];
            if (result) w.resolve(result);
            else w.reject(new UsageBufferError(`the answer has no result for event ${i} of the batch`));
          });
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
          this.onError?.(
            error,
            batch.map((w) => w.event),
          );
        },
      )
      .finally(() => {
        this.inFlight.delete(call);
        this.inFlightEvents -= batch.length;
        // A freed call takes the next full batch, or a partial one whose time has come.
        this.pump(false);
      });
    this.inFlight.add(call);
  }
}

const utf8 = new TextEncoder();

function whole(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}
