import { limits } from "../domain/limits.js";
import { padSeq } from "../wal/keys.js";
import type { Log } from "../wal/log.js";
import type { IndexOp } from "../wal/record.js";

export interface DeliveryAttempt {
  at: number;
  /** The HTTP status, or null when none came back (see `error`). */
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  /** At most 1 KB of the response body. */
  responseExcerpt: string;
}

export type DeliveryStatus = "pending" | "succeeded" | "failed";

/** One event on its way to one endpoint; retried until it succeeds or its schedule runs out. */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  env: string;
  merchantId: string;
  eventId: string;
  eventType: string;
  /** The ledger record the event comes from. */
  sequence: number;
  status: DeliveryStatus;
  createdAt: number;
  /** When pending: not before this time (ms). */
  nextAttemptAt: number | null;
  /** Attempts in the current series of retries (a manual retry starts a new series). */
  seriesAttempts: number;
  attemptCount: number;
  /** The latest attempts, oldest first. */
  attempts: DeliveryAttempt[];
  /** Sent again on request (replay), not by the outbox. */
  replay: boolean;
}

/** Health of an endpoint: how long it has failed without a success in between. */
export interface EndpointHealth {
  failingSince: number | null;
  consecutiveFailures: number;
}

/**
 * Delivery bookkeeping under `x!wh!`, outside the ledger and written with `sync: true`:
 *   x!wh!d!<delivery>                       the delivery and its attempts
 *   x!wh!q!<endpoint>!<seq>!<delivery>      pending deliveries of an endpoint, oldest event first
 *   x!wh!l!<endpoint>!<createdAt>!<delivery> every delivery of an endpoint, for listing
 *   x!wh!c!<endpoint>                       cursor: every ledger record up to it is fanned out
 *   x!wh!h!<endpoint>                       health
 */
export const deliveryKeys = {
  delivery: (id: string) => `x!wh!d!${id}`,
  pendingPrefix: (endpointId: string) => `x!wh!q!${endpointId}!`,
  pending: (d: WebhookDelivery) => `x!wh!q!${d.endpointId}!${padSeq(d.sequence)}!${d.id}`,
  listedPrefix: (endpointId: string) => `x!wh!l!${endpointId}!`,
  listed: (d: WebhookDelivery) => `x!wh!l!${d.endpointId}!${padSeq(d.createdAt)}!${d.id}`,
  cursor: (endpointId: string) => `x!wh!c!${endpointId}`,
  health: (endpointId: string) => `x!wh!h!${endpointId}`,
} as const;

/** Narrows a listing; each field left out matches every delivery. */
export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  eventType?: string | undefined;
  eventId?: string | undefined;
}

const matches = (d: WebhookDelivery, f: DeliveryFilter) =>
  (f.status === undefined || d.status === f.status) &&
  (f.eventType === undefined || d.eventType === f.eventType) &&
  (f.eventId === undefined || d.eventId === f.eventId);

export const healthy: EndpointHealth = { failingSince: null, consecutiveFailures: 0 };

interface PendingWrite {
  ops: readonly IndexOp[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class DeliveryStore {
  private queued: PendingWrite[] = [];
  private writing = false;

  constructor(private readonly log: Log) {}

  /**
   * Every bookkeeping change is synced before anything acts on it. Writes made while one is on
   * disk share the next synced batch (group commit), and land in the order they were made.
   */
  write(ops: readonly IndexOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queued.push({ ops, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      try {
        await this.log.writeOps(
          batch.flatMap((w) => w.ops),
          { sync: true },
        );
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.writing = false;
  }

  createOps(d: WebhookDelivery): IndexOp[] {
    return [
      { type: "put", key: deliveryKeys.delivery(d.id), value: JSON.stringify(d) },
      { type: "put", key: deliveryKeys.pending(d), value: "" },
      { type: "put", key: deliveryKeys.listed(d), value: "" },
    ];
  }

  updateOps(d: WebhookDelivery): IndexOp[] {
    return [
      { type: "put", key: deliveryKeys.delivery(d.id), value: JSON.stringify(d) },
      d.status === "pending"
        ? { type: "put", key: deliveryKeys.pending(d), value: "" }
        : { type: "del", key: deliveryKeys.pending(d) },
    ];
  }

  async get(id: string): Promise<WebhookDelivery | undefined> {
    const stored = await this.log.get(deliveryKeys.delivery(id));
    return stored === undefined ? undefined : (JSON.parse(stored) as WebhookDelivery);
  }

  async cursor(endpointId: string): Promise<number | undefined> {
    const stored = await this.log.get(deliveryKeys.cursor(endpointId));
    return stored === undefined ? undefined : Number(stored);
  }

  async health(endpointId: string): Promise<EndpointHealth> {
    const stored = await this.log.get(deliveryKeys.health(endpointId));
    return stored === undefined ? healthy : (JSON.parse(stored) as EndpointHealth);
  }

  /** Pending deliveries of an endpoint, oldest event first, skipping those already held. */
  async pending(endpointId: string, limit: number, held: ReadonlySet<string>): Promise<WebhookDelivery[]> {
    const prefix = deliveryKeys.pendingPrefix(endpointId);
    const ids: string[] = [];
    for await (const key of this.log.db.keys({ gt: prefix, lt: `${prefix}~` })) {
      const id = key.slice(key.lastIndexOf("!") + 1);
      if (!held.has(id)) ids.push(id);
      if (ids.length >= limit) break;
    }
    const values = await this.log.db.getMany(ids.map(deliveryKeys.delivery));
    return values
      .filter((v): v is string => v !== undefined)
      .map((v) => JSON.parse(v) as WebhookDelivery)
      .filter((d) => d.status === "pending");
  }

  /** Deliveries of an endpoint, newest first, optionally filtered (see DeliveryFilter), after a cursor. */
  async list(
    endpointId: string,
    options: DeliveryFilter & { limit: number; startingAfter?: string | undefined },
  ): Promise<{ deliveries: WebhookDelivery[]; hasMore: boolean; nextCursor: string | null }> {
    const prefix = deliveryKeys.listedPrefix(endpointId);
    let upper = `${prefix}~`;
    if (options.startingAfter !== undefined) {
      const after = await this.get(options.startingAfter);
      if (after && after.endpointId === endpointId) upper = deliveryKeys.listed(after);
    }
    const deliveries: WebhookDelivery[] = [];
    let scanned = 0;
    let lastId: string | null = null;
    const keys = this.log.db.keys({ gt: prefix, lt: upper, reverse: true });
    for await (const key of keys) {
      if (deliveries.length > options.limit || scanned >= limits.webhookDeliveryScanMax) break;
      scanned += 1;
      lastId = key.slice(key.lastIndexOf("!") + 1);
      const delivery = await this.get(lastId);
      if (delivery && matches(delivery, options)) {
        deliveries.push(delivery);
      }
    }
    const hasMore = deliveries.length > options.limit || scanned >= limits.webhookDeliveryScanMax;
    const page = deliveries.slice(0, options.limit);
    const cursor = deliveries.length > options.limit ? (page[page.length - 1]?.id ?? null) : lastId;
    return { deliveries: page, hasMore, nextCursor: hasMore ? cursor : null };
  }
}
