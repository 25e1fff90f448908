import type { Transport } from "../http.js";
import { isoTimestamp, type Timestamp } from "../timestamp.js";
import type { DecimalString, RequestOptions } from "../types.js";
import { UsageBuffer, type UsageBufferOptions } from "../usageBuffer.js";
import type { UsageIngestResult } from "../usageTypes.js";

/** The server's bound on one ingest call. */
const usageBatchEventsMax = 500;

export interface UsageEventParams {
  customerExternalId: string;
  /** Deduplicates the event forever: resending it is answered "duplicate" and never charged twice. */
  idempotencyKey: string;
  /** A built-in or custom metric key, e.g. "tokens_output". */
  metric: string;
  /** A non-negative decimal string, e.g. "12500". */
  quantity: DecimalString;
  /**
   * Within the last 35 days and at most 5 minutes ahead; prices in effect then apply. A string must
   * name its offset (`…Z`, `…+08:00`): one without is rejected, as the server cannot know its zone.
   */
  occurredAt: Timestamp;
  /** Select dimension-specific prices and group the usage summary, e.g. `{ model: "deepseek-r1" }`. */
  dimensions?: Record<string, string> | undefined;
}

export class UsageEvents {
  constructor(private readonly transport: Transport) {}

  /**
   * Records 1–500 events; each result says whether its event was accepted (and charged or accrued),
   * a duplicate, or rejected (with a `code`). Results are per event: one rejection fails no other.
   */
  async ingest(
    events: readonly UsageEventParams[],
    options: RequestOptions = {},
  ): Promise<UsageIngestResult> {
    assertBatchSize(events);
    return this.transport.request({
      method: "POST",
      path: "/v1/usage-events",
      body: { events: events.map((event) => ({ ...event, occurredAt: isoTimestamp(event.occurredAt) })) },
      idempotencyKey: options.idempotencyKey,
    });
  }

  /**
   * Records events one at a time (one per metered action) and sends them in batches: full ones at
   * once, a partial one `flushIntervalMs` after its first event. `record` resolves with that event's
   * result. Call `close()` before the process exits.
   *
   *   const usage = client.usageEvents.buffer({ onError: (error, events) => log(error, events) });
   *   usage.record({ customerExternalId, idempotencyKey, metric: "tokens_output", quantity, occurredAt });
   *   await usage.close(); // at shutdown
   */
  buffer(options: UsageBufferOptions = {}): UsageBuffer {
    return new UsageBuffer((events) => this.ingest(events), options);
  }
}

function assertBatchSize(events: unknown): void {
  if (!Array.isArray(events)) {
    throw new TypeError("usageEvents.ingest takes an array of events as its first argument.");
  }
  if (events.length === 0 || events.length > usageBatchEventsMax) {
    throw new TypeError(
      `usageEvents.ingest takes 1 to ${usageBatchEventsMax} events per call, got ${events.length}; split larger batches.`,
    );
  }
}
