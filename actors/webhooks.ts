import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { limits } from "../domain/limits.js";
import {
  defaultPrivateAddressesAllowed,
  webhookUrlPolicy,
  type PrivateAddressesAllowed,
} from "../domain/webhookUrls.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import type { BillingEvent, EventCatalogue } from "./events.js";
import type { RecordFeed } from "./feed.js";
import {
  DeliveryStore,
  deliveryKeys,
  healthy,
  type DeliveryFilter,
  type WebhookDelivery,
} from "./webhookDeliveries.js";
import type { SecretBox } from "./secretBox.js";
import { WebhookEndpointDirectory, type WebhookEndpoint, type WebhookUrlCheck } from "./webhookEndpoints.js";
import { FanOut } from "./webhookFanOut.js";
import {
  EndpointQueue,
  type AttemptOutcome,
  type QueueHost,
  type RetryPolicy,
  type WebhookSend,
} from "./webhookQueue.js";
import { planReplay, type ReplayFilter, type ReplayPlan } from "./webhookReplay.js";

/** 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 16 h, 24 h, 24 h: about three days in all. */
export const defaultRetryScheduleMs: readonly number[] = [
  5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 57_600_000,
  86_400_000, 86_400_000,
];

export interface WebhookOptions extends Partial<RetryPolicy> {
  /** Makes the HTTP requests; without it deliveries are recorded and wait (no attempts). */
  send?: WebhookSend | undefined;
  /** Environments whose webhooks may go to loopback, private, link-local… addresses (default: test). */
  privateAddressesAllowed?: PrivateAddressesAllowed | undefined;
  /** Checks a URL's resolved addresses at registration (bin/ injects it from effects/). */
  checkUrl?: WebhookUrlCheck | undefined;
}

/** Event bodies kept for the deliveries of the same event to other endpoints. */
const bodyCacheRecordsMax = 2_048;

const bodiesOf = (events: readonly BillingEvent[]) =>
  new Map(events.map((event) => [event.id, JSON.stringify(event)]));

type Idempotency<T> = ((result: T) => { scope: string; op: IndexOp }) | undefined;

/**
 * Webhooks: endpoints, and the outbox that delivers every event to them at least once — exactly
 * once unless an attempt's outcome was lost with the process. Durable records are fanned out into
 * deliveries; each endpoint's queue sends them, retrying on the schedule, and disables an endpoint
 * that has failed for days.
 */
export class WebhookService implements QueueHost {
  readonly endpoints: WebhookEndpointDirectory;
  readonly store: DeliveryStore;
  readonly send: WebhookSend | undefined;
  readonly policy: RetryPolicy;
  private readonly queues = new Map<string, EndpointQueue>();
  private readonly fanOut: FanOut;
  private readonly starved = new Set<EndpointQueue>();
  private readonly disabling = new Set<string>();
  private attemptsInFlight = 0;
  private stopped = false;
  private readonly attemptListeners = new Set<(outcome: AttemptOutcome) => void>();
  /** JSON bodies of the events of recent records, by event id; oldest record first. */
  private readonly bodies = new Map<number, Promise<Map<string, string> | undefined>>();

  constructor(
    private readonly log: Log,
    feed: RecordFeed,
    private readonly events: EventCatalogue,
    onCommitted: (record: CommittedRecord) => void,
    secretBox: SecretBox,
    options: WebhookOptions = {},
  ) {
    const allowed = options.privateAddressesAllowed ?? defaultPrivateAddressesAllowed;
    this.endpoints = new WebhookEndpointDirectory(log, onCommitted, {
      secretBox,
      urlPolicy: (env) => webhookUrlPolicy(env, allowed),
      checkUrl: options.checkUrl,
    });
    this.store = new DeliveryStore(log);
    this.send = options.send;
    this.policy = {
      scheduleMs: options.scheduleMs ?? defaultRetryScheduleMs,
      jitterRatio: options.jitterRatio ?? 0.1,
      requestTimeoutMs: options.requestTimeoutMs ?? limits.webhookRequestTimeoutMs,
      disableAfterMs: options.disableAfterMs ?? limits.webhookDisableAfterMs,
      disableAfterFailures: options.disableAfterFailures ?? limits.webhookDisableAfterFailures,
      attemptsInFlightMax: options.attemptsInFlightMax ?? limits.webhookAttemptsInFlightPerEndpointMax,
    };
    this.fanOut = new FanOut(
      log,
      feed,
      events,
      this.endpoints,
      this.store,
      (created) => {
        for (const delivery of created) this.queueOf(delivery.endpointId)?.add(delivery);
      },
      (seq, recordEvents) => {
        if (this.send && !this.bodies.has(seq))
          this.cacheBodies(seq, Promise.resolve(bodiesOf(recordEvents)));
      },
    );
  }

  async start(): Promise<void> {
    await this.endpoints.load();
    for (const endpoint of this.endpoints.all()) {
      this.queues.set(
        endpoint.id,
        new EndpointQueue(endpoint.id, this, await this.store.health(endpoint.id)),
      );
    }
    this.endpoints.onChange((change, endpoint) => this.changed(change, endpoint));
    await this.fanOut.start();
    for (const queue of this.queues.values()) queue.pump();
  }

  /** Stops fanning out and sending; waits for attempts in flight to record their outcome. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.fanOut.stop();
    await Promise.all([...this.queues.values()].map((q) => q.stop()));
  }

  async delivery(env: Environment, merchantId: string, id: string): Promise<WebhookDelivery> {
    const delivery = await this.store.get(id);
    if (!delivery || delivery.env !== env || delivery.merchantId !== merchantId) {
      throw new DomainError("webhook_delivery_not_found", `no webhook delivery ${id}`);
    }
    return delivery;
  }

  listDeliveries(
    endpoint: WebhookEndpoint,
    options: DeliveryFilter & { limit: number; startingAfter?: string | undefined },
  ) {
    return this.store.list(endpoint.id, options);
  }

  /** Sends a delivery again now, with a fresh series of retries. */
  async retry(
    env: Environment,
    merchantId: string,
    id: string,
    idempotency?: Idempotency<WebhookDelivery>,
  ): Promise<WebhookDelivery> {
    const found = await this.delivery(env, merchantId, id);
    const queue = this.queueOf(this.enabledEndpoint(env, merchantId, found.endpointId).id);
    if (!queue || queue.isRunning(id)) return found;
    queue.hold(id);
    try {
      const current = (await this.store.get(id)) ?? found;
      const next: WebhookDelivery = {
        ...current,
        status: "pending",
        nextAttemptAt: Date.now(),
        seriesAttempts: 0,
      };
      const ops = this.store.updateOps(next);
      const idem = idempotency?.(next);
      if (idem) ops.push(idem.op);
      await this.store.write(ops);
      queue.add(next);
      return next;
    } catch (error) {
      queue.unhold(id);
      throw error;
    }
  }

  /** Re-sends the endpoint's events in a range of sequences or ledger time (bounded per call). */
  async replay(
    env: Environment,
    merchantId: string,
    endpointId: string,
    filter: ReplayFilter,
    idempotency?: Idempotency<ReplayPlan>,
  ): Promise<ReplayPlan> {
    const endpoint = this.enabledEndpoint(env, merchantId, endpointId);
    const plan = await planReplay(this.log, this.events, endpoint, filter);
    const ops = plan.deliveries.flatMap((d) => this.store.createOps(d));
    const idem = idempotency?.(plan);
    if (idem) ops.push(idem.op);
    await this.store.write(ops);
    const queue = this.queueOf(endpoint.id);
    for (const delivery of plan.deliveries) queue?.add(delivery);
    return plan;
  }

  endpoint(id: string): WebhookEndpoint | undefined {
    return this.endpoints.byIdUnscoped(id);
  }

  urlPolicy(endpoint: WebhookEndpoint) {
    return this.endpoints.urlPolicy(endpoint.env);
  }

  async bodyOf(delivery: WebhookDelivery): Promise<string | undefined> {
    // One body per event, shared by every endpoint's delivery of it (events never change).
    const bodies =
      this.bodies.get(delivery.sequence) ??
      this.cacheBodies(delivery.sequence, this.readBodies(delivery.sequence));
    return (await bodies)?.get(delivery.eventId);
  }

  private cacheBodies(seq: number, bodies: Promise<Map<string, string> | undefined>) {
    this.bodies.set(seq, bodies);
    bodies.catch(() => this.bodies.delete(seq));
    if (this.bodies.size > bodyCacheRecordsMax) {
      const oldest = this.bodies.keys().next().value;
      if (oldest !== undefined) this.bodies.delete(oldest);
    }
    return bodies;
  }

  private async readBodies(seq: number): Promise<Map<string, string> | undefined> {
    const record = await this.log.getRecord(seq);
    return record && bodiesOf(await this.events.eventsOf(record));
  }

  /** Observes every recorded delivery attempt (metrics); returns the unsubscribe. */
  onAttempt(listener: (outcome: AttemptOutcome) => void): () => void {
    this.attemptListeners.add(listener);
    return () => this.attemptListeners.delete(listener);
  }

  attempted(outcome: AttemptOutcome): void {
    for (const listener of this.attemptListeners) listener(outcome);
  }

  /** Pending deliveries held in memory across endpoints (more may wait on disk). */
  get pendingLoaded(): number {
    let total = 0;
    for (const queue of this.queues.values()) total += queue.loadedCount;
    return total;
  }

  acquire(queue: EndpointQueue): boolean {
    if (this.attemptsInFlight >= limits.webhookAttemptsInFlightMax) {
      this.starved.add(queue);
      return false;
    }
    this.attemptsInFlight += 1;
    return true;
  }

  release(): void {
    this.attemptsInFlight -= 1;
    const waiting = [...this.starved];
    this.starved.clear();
    for (const queue of waiting) queue.pump();
  }

  failing(endpoint: WebhookEndpoint): void {
    if (this.stopped || this.disabling.has(endpoint.id) || endpoint.status !== "enabled") return;
    this.disabling.add(endpoint.id);
    this.endpoints
      .setEnabled(
        endpoint.env,
        endpoint.merchantId,
        endpoint.id,
        false,
        { kind: "system" },
        { reason: "failing" },
      )
      .catch((error: unknown) =>
        console.error(`webhook endpoint ${endpoint.id} could not be disabled`, error),
      )
      .finally(() => this.disabling.delete(endpoint.id));
  }

  private enabledEndpoint(env: Environment, merchantId: string, id: string): WebhookEndpoint {
    const endpoint = this.endpoints.require(env, merchantId, id);
    if (endpoint.status !== "enabled") {
      throw new DomainError(
        "webhook_endpoint_disabled",
        `webhook endpoint ${id} is disabled; enable it first`,
      );
    }
    return endpoint;
  }

  private queueOf(endpointId: string): EndpointQueue | undefined {
    let queue = this.queues.get(endpointId);
    if (!queue && !this.stopped && this.endpoints.byIdUnscoped(endpointId)) {
      queue = new EndpointQueue(endpointId, this, healthy);
      this.queues.set(endpointId, queue);
    }
    return queue;
  }

  private changed(change: string, endpoint: WebhookEndpoint): void {
    if (change === "created" || change === "enabled") this.fanOut.joined(endpoint);
    if (change === "deleted") {
      this.fanOut.left(endpoint.id);
      const queue = this.queues.get(endpoint.id);
      this.queues.delete(endpoint.id);
      void queue?.stop();
      return;
    }
    if (change !== "enabled") return;
    // A fresh start: failures before it was disabled no longer count towards disabling it again.
    const queue = this.queueOf(endpoint.id);
    void this.store
      .write([{ type: "put", key: deliveryKeys.health(endpoint.id), value: JSON.stringify(healthy) }])
      .then(() => queue?.restart());
  }
}
