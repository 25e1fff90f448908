import { limits } from "../domain/limits.js";
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

const successful = (statusCode: number | null) =>
  statusCode !== null && statusCode >= 200 && statusCode < 300;

/**
 * The pending deliveries of one endpoint: at most a few attempts in flight, each with its own
 * timeout, so a slow endpoint only ever slows itself. Memory holds a bounded window of the
 * endpoint's pending deliveries; the rest wait on disk and are loaded as the window empties.
 */
export class EndpointQueue {
  private readonly loaded = new Map<string, WebhookDelivery>();
  private readonly running = new Map<string, Promise<void>>();
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
  ) {}

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
      this.loaded.set(delivery.id, delivery);
    } else {
      this.moreOnDisk = true;
    }
    this.pump();
  }

  /** After the endpoint is enabled again: its earlier failures no longer count. */
  restart(): void {
    this.health = healthy;
    this.pump();
  }

  hold(id: string): void {
    this.held.add(id);
  }

  unhold(id: string): void {
    this.held.delete(id);
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
    while (this.running.size < this.host.policy.attemptsInFlightMax) {
      const next = this.earliestIdle();
      if (!next) return this.clearTimer();
      const dueAt = next.nextAttemptAt ?? now;
      if (dueAt > now) return this.setTimer(dueAt);
      if (!this.host.acquire(this)) return;
      this.running.set(next.id, this.attempt(endpoint, next));
    }
  }

  /** Lets running attempts finish and record their outcome; starts no new ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    await Promise.all([...this.running.values(), this.refilling]);
  }

  private earliestIdle(): WebhookDelivery | undefined {
    let best: WebhookDelivery | undefined;
    for (const d of this.loaded.values()) {
      if (this.running.has(d.id) || this.held.has(d.id)) continue;
      if (!best || (d.nextAttemptAt ?? 0) < (best.nextAttemptAt ?? 0)) best = d;
    }
    return best;
  }

  private async attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery): Promise<void> {
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
            });
      await this.settle(endpoint, delivery, {
        at: Date.now(),
        ...response,
        responseExcerpt: response.responseExcerpt.slice(0, limits.webhookResponseExcerptBytesMax),
      });
    } catch (error) {
      // Bookkeeping could not be written: the delivery stays pending and is tried again later.
      console.error(`webhook delivery ${delivery.id} could not be recorded`, error);
      this.loaded.set(delivery.id, { ...delivery, nextAttemptAt: Date.now() + 1_000 });
    } finally {
      this.running.delete(delivery.id);
      this.host.release();
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
    ops.push({ type: "put", key: deliveryKeys.health(this.endpointId), value: JSON.stringify(health) });
    await this.host.store.write(ops);
    this.host.attempted(
      next.status === "pending" ? "retrying" : next.status === "succeeded" ? "succeeded" : "failed",
    );
    this.health = health;
    if (next.status === "pending") this.loaded.set(next.id, next);
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
            this.loaded.set(d.id, d);
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
