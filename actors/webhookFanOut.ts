import { newId } from "../domain/ids.js";
import { limits } from "../domain/limits.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import type { BillingEvent, EventCatalogue } from "./events.js";
import type { RecordFeed } from "./feed.js";
import { RecordTail } from "./recordTail.js";
import { deliveryKeys, type DeliveryStore, type WebhookDelivery } from "./webhookDeliveries.js";
import { subscribes, type WebhookEndpoint, type WebhookEndpointDirectory } from "./webhookEndpoints.js";

/** Records fanned out per synced write. */
const fanOutSliceRecords = 64;

/** Whether an endpoint takes the events of record `seq`, given its cursor. */
export function receives(endpoint: WebhookEndpoint, seq: number, cursor: number): boolean {
  return (
    seq > cursor && seq > endpoint.activeFrom && (endpoint.activeUntil === null || seq < endpoint.activeUntil)
  );
}

export function newDelivery(
  endpoint: WebhookEndpoint,
  event: BillingEvent,
  now: number,
  replay: boolean,
): WebhookDelivery {
  return {
    id: newId("whd"),
    endpointId: endpoint.id,
    env: endpoint.env,
    merchantId: endpoint.merchantId,
    eventId: event.id,
    eventType: event.type,
    sequence: event.sequence,
    status: "pending",
    createdAt: now,
    nextAttemptAt: now,
    seriesAttempts: 0,
    attemptCount: 0,
    attempts: [],
    replay,
  };
}

/**
 * Turns durable records into deliveries. Each endpoint has a durable cursor: the deliveries of
 * every record up to it exist. New deliveries and the cursors of their endpoints are written in one
 * synced batch, so a restart resumes from the cursors without losing or repeating a delivery.
 * Cursors of endpoints that got nothing move forward now and then, in the same serial loop.
 */
export class FanOut {
  private readonly cursors = new Map<string, number>();
  /** The tail generation after an endpoint's last (re)join: older batches were filtered without it. */
  private readonly joinedIn = new Map<string, number>();
  private tail: RecordTail | null = null;
  private running: Promise<void> | null = null;
  private lastFlushAt = 0;

  constructor(
    private readonly log: Log,
    private readonly feed: RecordFeed,
    private readonly events: EventCatalogue,
    private readonly endpoints: WebhookEndpointDirectory,
    private readonly store: DeliveryStore,
    private readonly deliver: (deliveries: WebhookDelivery[]) => void,
    /** Told of the events of each record that got deliveries (so that their bodies are at hand). */
    private readonly fannedOut: (seq: number, events: readonly BillingEvent[]) => void = () => {},
  ) {}

  async start(): Promise<void> {
    let from = this.log.durableHead;
    for (const endpoint of this.endpoints.all()) {
      const cursor = (await this.store.cursor(endpoint.id)) ?? endpoint.activeFrom;
      this.cursors.set(endpoint.id, cursor);
      from = Math.min(from, cursor);
    }
    this.tail = new RecordTail(this.log, this.feed, {
      afterSeq: from,
      accepts: (record) =>
        record.merchantId !== null && this.endpoints.hasScope(record.env, record.merchantId),
      backlogRecordsMax: limits.feedBacklogRecordsMax,
      progressRecords: limits.tailReadRecordsMax,
    });
    this.running = this.run();
  }

  /** An endpoint joined or came back: records after `activeFrom` are filtered again with it. */
  joined(endpoint: WebhookEndpoint): void {
    if (!this.cursors.has(endpoint.id)) this.cursors.set(endpoint.id, endpoint.activeFrom);
    this.tail?.rewind(Math.min(endpoint.activeFrom, this.cursors.get(endpoint.id) ?? endpoint.activeFrom));
    this.joinedIn.set(endpoint.id, this.tail?.generation ?? 0);
  }

  /** A deleted endpoint: it takes nothing more, and its cursor no longer holds the tail back. */
  left(endpointId: string): void {
    this.cursors.delete(endpointId);
    this.joinedIn.delete(endpointId);
  }

  async stop(): Promise<void> {
    this.tail?.close();
    await this.running;
    if (this.tail) await this.writeBatch([], [], this.tail.through, this.tail.generation, true);
  }

  private async run(): Promise<void> {
    for (;;) {
      const batch = await this.tail?.pull();
      if (!batch) return;
      try {
        await this.handle(batch.records, batch.through, batch.generation);
      } catch (error) {
        // The cursors did not move: the tail re-reads these records from the log.
        console.error("webhook fan-out failed; retrying from the cursors", error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        this.tail?.rewind(Math.min(...this.cursors.values()));
      }
    }
  }

  /** Whether a batch of this tail generation was filtered knowing the endpoint as it is now. */
  private knows(endpointId: string, generation: number): boolean {
    return this.cursors.has(endpointId) && (this.joinedIn.get(endpointId) ?? 0) <= generation;
  }

  /**
   * A tail batch is written a slice of records at a time, each slice with the cursors through its
   * last record, so that no one synced write (nor the event loop) is held up by thousands of ops.
   */
  private async handle(
    records: readonly CommittedRecord[],
    through: number,
    generation: number,
  ): Promise<void> {
    for (let start = 0; start < records.length || start === 0; start += fanOutSliceRecords) {
      const slice = records.slice(start, start + fanOutSliceRecords);
      const last = start + fanOutSliceRecords >= records.length;
      await this.handleSlice(
        slice,
        last ? through : (slice[slice.length - 1]?.seq ?? through),
        generation,
        last,
      );
    }
  }

  private async handleSlice(
    records: readonly CommittedRecord[],
    through: number,
    generation: number,
    lastSlice: boolean,
  ): Promise<void> {
    const created: WebhookDelivery[] = [];
    const ops: IndexOp[] = [];
    const now = Date.now();
    for (const record of records) {
      const targets = this.endpoints
        .list(record.env, record.merchantId ?? "")
        .filter((e) => this.knows(e.id, generation))
        .filter((e) => receives(e, record.seq, this.cursors.get(e.id) ?? e.activeFrom));
      if (targets.length === 0) continue;
      const events = await this.events.eventsOf(record);
      this.fannedOut(record.seq, events);
      for (const event of events) {
        for (const endpoint of targets) {
          if (!subscribes(endpoint, event.type)) continue;
          const delivery = newDelivery(endpoint, event, now, false);
          created.push(delivery);
          ops.push(...this.store.createOps(delivery));
        }
      }
    }
    const flushAll = lastSlice && now - this.lastFlushAt >= limits.outboxCursorFlushIntervalMs;
    await this.writeBatch(ops, created, through, generation, flushAll);
    if (flushAll) this.lastFlushAt = now;
  }

  private async writeBatch(
    ops: IndexOp[],
    created: readonly WebhookDelivery[],
    through: number,
    generation: number,
    allCursors: boolean,
  ): Promise<void> {
    const moved = new Map<string, number>();
    const touched = new Set(created.map((d) => d.endpointId));
    for (const [id, cursor] of this.cursors) {
      if (cursor >= through || !this.knows(id, generation)) continue;
      if (allCursors || touched.has(id)) moved.set(id, through);
    }
    for (const [id, cursor] of moved)
      ops.push({ type: "put", key: deliveryKeys.cursor(id), value: String(cursor) });
    await this.store.write(ops);
    for (const [id, cursor] of moved) this.cursors.set(id, Math.max(cursor, this.cursors.get(id) ?? 0));
    if (created.length > 0) this.deliver([...created]);
  }
}
