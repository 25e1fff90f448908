import { limits } from "../domain/limits.js";
import type { WebhookUrlPolicy } from "../domain/webhookUrls.js";
import type { IndexOp } from "../wal/record.js";
import {
  deliveryKeys,
  healthy,
  type DeliveryAttempt,
  type DeliveryStore,
  type EndpointHealth,
  type WebhookDelivery,
} from "./webhookDeliveries.js";
import { signingSecrets, type WebhookEndpoint } from "./webhookEndpoints.js";

/** One HTTP attempt. Implemented in effects/webhooks and injected by bin/ (actors make no requests). */
export type WebhookSend = (request: {
  url: string;
  messageId: string;
  body: string;
  secrets: readonly string[];
  timeoutMs: number;
  /** The sender refuses (records, never sends) what the endpoint's environment does not allow. */
  policy: WebhookUrlPolicy;
}) => Promise<{
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseExcerpt: string;
}>;

export interface RetryPolicy {
  /** Delay before retry n (after failed attempt n of a series); past its end the delivery fails. */
  scheduleMs: readonly number[];
  /** Each delay is stretched or shrunk at random by up to this share. */
  jitterRatio: number;
  requestTimeoutMs: number;
  /** An endpoint failing without a success for this long, over at least `disableAfterFailures`… */
  disableAfterMs: number;
  disableAfterFailures: number;
  attemptsInFlightMax: number;
}

/** What a queue needs from the outbox around it. */
export interface QueueHost {
  readonly send: WebhookSend | undefined;
  readonly policy: RetryPolicy;
  readonly store: DeliveryStore;
  endpoint(id: string): WebhookEndpoint | undefined;
  urlPolicy(endpoint: WebhookEndpoint): WebhookUrlPolicy;
  /** The JSON body of the delivery's event. */
  bodyOf(delivery: WebhookDelivery): Promise<string | undefined>;
  /** A slot of the global limit on attempts in flight; when refused, the host pumps the queue later. */
  acquire(queue: EndpointQueue): boolean;
  release(): void;
  /** Called when an endpoint has failed long enough to be disabled. */
  failing(endpoint: WebhookEndpoint): void;
  /** Told of every recorded attempt: the delivery's status after it. */
  attempted(outcome: AttemptOutcome): void;
}

/** After an attempt: delivered, to be retried, or failed for good (retries exhausted). */
export type AttemptOutcome = "succeeded" | "retrying" | "failed";

export function retryDelayMs(
  policy: RetryPolicy,
  failedInSeries: number,
  random = Math.random,
): number | null {
  const base = policy.scheduleMs[failedInSeries - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 + policy.jitterRatio * (2 * random() - 1)));
}

/** Attempts per request slot that may be running, counting those recording their outcome. */
const recordingFactor = 4;

const successful = (statusCode: number | null) =>
  statusCode !== null && statusCode >= 200 && statusCode < 300;

/**
 * The pending deliveries of one endpoint: at most a few attempts in flight, each with its own
 * timeout, so a slow endpoint only ever slows itself. Memory holds a bounded window of the
 * endpoint's pending deliveries; the rest wait on disk and are loaded as the window empties.
 */
export class EndpointQueue {
  private readonly loaded = new Map<string, WebhookDelivery>();
  /**
   * Loaded deliveries by due time (earliest first, then oldest entry). Entries go stale when their
   * delivery is replaced or leaves `loaded`; they are dropped as they surface.
   */
  private readonly due = new DueHeap();
  private readonly running = new Map<string, Promise<void>>();
  /** Running attempts whose request is still out (the others are recording their outcome). */
  private sending = 0;
  /** The endpoint's health as last queued for writing (`healthy` itself when healthy). */
  private healthQueued: EndpointHealth | null;
  /** Held by a manual retry while it rewrites the delivery. */
  private readonly held = new Set<string>();
  private moreOnDisk = true;
  private refilling: Promise<void> | null = null;
  private settledDuringRefill = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = false;

  constructor(
    readonly endpointId: string,
    private readonly host: QueueHost,
    private health: EndpointHealth,
  ) {
    this.healthQueued = health.failingSince === null && health.consecutiveFailures === 0 ? healthy : health;
  }

  /** Pending deliveries held in memory (the rest wait on disk). */
  get loadedCount(): number {
    return this.loaded.size;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** A durable pending delivery joins the queue (new, replayed or retried by hand). */
  add(delivery: WebhookDelivery): void {
    this.held.delete(delivery.id);
    if (this.running.has(delivery.id)) return;
    if (this.loaded.has(delivery.id) || this.loaded.size < limits.webhookDeliveriesLoadedPerEndpointMax) {
      this.load(delivery);
    } else {
      this.moreOnDisk = true;
    }
    this.pump();
  }

  /** After the endpoint is enabled again: its earlier failures no longer count. */
  restart(): void {
    this.health = healthy;
    this.healthQueued = healthy;
    this.pump();
  }

  hold(id: string): void {
    this.held.add(id);
  }

  unhold(id: string): void {
    this.held.delete(id);
    const delivery = this.loaded.get(id);
    if (delivery) this.due.push(delivery);
    this.pump();
  }

  /** Starts every attempt that is due and allowed; sets a timer for the next one. */
  pump(): void {
    if (this.stopped || !this.host.send) return;
    const endpoint = this.host.endpoint(this.endpointId);
    if (!endpoint || endpoint.status !== "enabled") return this.clearTimer();
    if (
      this.moreOnDisk &&
      !this.refilling &&
      this.loaded.size < limits.webhookDeliveriesLoadedPerEndpointMax / 2
    ) {
      this.refill();
    }
    const now = Date.now();
    const inFlightMax = this.host.policy.attemptsInFlightMax;
    // At most `inFlightMax` requests out; a few more attempts may be recording their outcome.
    while (this.sending < inFlightMax && this.running.size < inFlightMax * recordingFactor) {
      const next = this.earliestIdle();
      if (!next) return this.clearTimer();
      const dueAt = next.nextAttemptAt ?? now;
      if (dueAt > now) return this.setTimer(dueAt);
      if (!this.host.acquire(this)) return;
      this.due.pop();
      this.sending += 1;
      this.running.set(next.id, this.attempt(endpoint, next));
    }
  }

  /** Lets running attempts finish and record their outcome; starts no new ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    await Promise.all([...this.running.values(), this.refilling]);
  }

  /** Loads (or replaces) a pending delivery in memory and schedules it. */
  private load(delivery: WebhookDelivery): void {
    this.loaded.set(delivery.id, delivery);
    this.due.push(delivery);
    // Replaced deliveries leave stale entries behind: rebuild before they outnumber live ones.
    if (this.due.size > 2 * this.loaded.size + 64) this.due.rebuild(this.loaded.values());
  }

  /**
   * The loaded delivery due first that is neither running nor held. Stale entries are dropped;
   * held ones too (unhold or add schedules them again). It stays in the heap until it starts.
   */
  private earliestIdle(): WebhookDelivery | undefined {
    for (;;) {
      const top = this.due.peek();
      if (!top) return undefined;
      if (this.loaded.get(top.id) === top && !this.running.has(top.id) && !this.held.has(top.id)) {
        return top;
      }
      this.due.pop();
    }
  }

  private async attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery): Promise<void> {
    let sent = false;
    // The request is over: its slot goes to the next attempt while this one records its outcome.
    const requestDone = () => {
      if (sent) return;
      sent = true;
      this.sending -= 1;
      this.host.release();
    };
    try {
      const body = await this.host.bodyOf(delivery);
      const send = this.host.send;
      const response =
        body === undefined || !send
          ? { statusCode: null, error: "event_unavailable", latencyMs: 0, responseExcerpt: "" }
          : await send({
              url: endpoint.url,
              messageId: delivery.eventId,
              body,
              secrets: signingSecrets(endpoint, Date.now()),
              timeoutMs: this.host.policy.requestTimeoutMs,
              policy: this.host.urlPolicy(endpoint),
            });
      requestDone();
      this.pump();
      await this.settle(endpoint, delivery, {
        at: Date.now(),
        ...response,
        responseExcerpt: response.responseExcerpt.slice(0, limits.webhookResponseExcerptBytesMax),
      });
    } catch (error) {
      // Bookkeeping could not be written: the delivery stays pending and is tried again later.
      console.error(`webhook delivery ${delivery.id} could not be recorded`, error);
      this.healthQueued = null; // unknown now: the next attempt writes it
      this.load({ ...delivery, nextAttemptAt: Date.now() + 1_000 });
    } finally {
      this.running.delete(delivery.id);
      requestDone();
      this.pump();
    }
  }

  /** Records the attempt, and the delivery's next state, durably before acting on it. */
  private async settle(
    endpoint: WebhookEndpoint,
    d: WebhookDelivery,
    attempt: DeliveryAttempt,
  ): Promise<void> {
    const ok = successful(attempt.statusCode);
    const seriesAttempts = d.seriesAttempts + 1;
    const delay = ok ? null : retryDelayMs(this.host.policy, seriesAttempts);
    const next: WebhookDelivery = {
      ...d,
      status: ok ? "succeeded" : delay === null ? "failed" : "pending",
      nextAttemptAt: delay === null ? null : attempt.at + delay,
      seriesAttempts,
      attemptCount: d.attemptCount + 1,
      attempts: [...d.attempts, attempt].slice(-limits.webhookAttemptsRecordedMax),
    };
    const health: EndpointHealth = ok
      ? healthy
      : {
          failingSince: this.health.failingSince ?? attempt.at,
          consecutiveFailures: this.health.consecutiveFailures + 1,
        };
    const ops: IndexOp[] = this.host.store.updateOps(next);
    // Writes land in the order they are queued: a healthy endpoint whose last queued health was
    // healthy already has it on disk (once that write lands, before this one).
    if (!(ok && this.healthQueued === healthy)) {
      ops.push({ type: "put", key: deliveryKeys.health(this.endpointId), value: JSON.stringify(health) });
      this.healthQueued = health;
    }
    await this.host.store.write(ops);
    this.host.attempted(
      next.status === "pending" ? "retrying" : next.status === "succeeded" ? "succeeded" : "failed",
    );
    this.health = health;
    if (next.status === "pending") this.load(next);
    else {
      this.loaded.delete(next.id);
      this.settledDuringRefill.add(next.id);
    }
    const policy = this.host.policy;
    if (
      health.failingSince !== null &&
      health.consecutiveFailures >= policy.disableAfterFailures &&
      attempt.at - health.failingSince >= policy.disableAfterMs
    ) {
      this.host.failing(endpoint);
    }
  }

  private refill(): void {
    this.settledDuringRefill = new Set();
    const room = limits.webhookDeliveriesLoadedPerEndpointMax - this.loaded.size;
    const known = new Set([...this.loaded.keys(), ...this.running.keys()]);
    this.refilling = this.host.store
      .pending(this.endpointId, room, known)
      .then((found) => {
        this.moreOnDisk = found.length >= room;
        for (const d of found) {
          if (!this.settledDuringRefill.has(d.id) && !this.loaded.has(d.id) && !this.running.has(d.id)) {
            this.load(d);
          }
        }
      })
      .catch((error: unknown) => console.error(`webhook queue ${this.endpointId} could not load`, error))
      .finally(() => {
        this.refilling = null;
        this.pump();
      });
  }

  private setTimer(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }
}

interface DueEntry {
  delivery: WebhookDelivery;
  at: number;
  order: number;
}

/** A binary min-heap of deliveries by `nextAttemptAt`, ties broken by insertion order. */
class DueHeap {
  private readonly entries: DueEntry[] = [];
  private counter = 0;

  get size(): number {
    return this.entries.length;
  }

  rebuild(deliveries: Iterable<WebhookDelivery>): void {
    this.entries.length = 0;
    for (const delivery of deliveries) this.push(delivery);
  }

  peek(): WebhookDelivery | undefined {
    return this.entries[0]?.delivery;
  }

  push(delivery: WebhookDelivery): void {
    const entries = this.entries;
    const entry: DueEntry = { delivery, at: delivery.nextAttemptAt ?? 0, order: this.counter++ };
    let i = entries.length;
    entries.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = entries[parent] as DueEntry;
      if (!before(entry, p)) break;
      entries[i] = p;
      i = parent;
    }
    entries[i] = entry;
  }

  pop(): void {
    const entries = this.entries;
    const last = entries.pop();
    if (!last || entries.length === 0) return;
    const n = entries.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(entries[r] as DueEntry, entries[l] as DueEntry)) c = r;
      const child = entries[c] as DueEntry;
      if (!before(child, last)) break;
      entries[i] = child;
      i = c;
    }
    entries[i] = last;
  }
}

const before = (a: DueEntry, b: DueEntry) => a.at < b.at || (a.at === b.at && a.order < b.order);
