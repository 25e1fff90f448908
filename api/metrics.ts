import { timingSafeEqual } from "node:crypto";
import type { Context } from "koa";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Runtime } from "../actors/index.js";
import { DomainError } from "../domain/errors.js";

/** What the access log tells the metrics about each request. */
export interface RequestObservation {
  method: string;
  route: string;
  status: number;
  ms: number;
}

export interface AppMetrics {
  readonly registry: Registry;
  observeRequest(request: RequestObservation): void;
}

const commitSecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const batchRecordsBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
const requestSecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/**
 * Prometheus metrics of one app instance, in its own registry (the global one throws when an app
 * is built twice in a process). Listeners on the runtime live as long as the runtime does.
 */
export function createMetrics(runtime: Runtime): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const usageEvents = new Counter({
    name: "buffmoney_usage_events_total",
    help: "Usage events answered, by status (accepted, duplicate, rejected).",
    labelNames: ["status"] as const,
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: "buffmoney_ledger_commit_duration_seconds",
    help: "Time to write and fsync one group-commit batch of the ledger.",
    buckets: commitSecondsBuckets,
    registers: [registry],
  });
  const batchRecords = new Histogram({
    name: "buffmoney_ledger_batch_records",
    help: "Records per group-commit batch.",
    buckets: batchRecordsBuckets,
    registers: [registry],
  });
  new Gauge({
    name: "buffmoney_ledger_queued_records",
    help: "Records appended and waiting for a batch to sync them.",
    registers: [registry],
    collect() {
      this.set(runtime.log.queuedRecords);
    },
  });
  new Gauge({
    name: "buffmoney_ledger_head_sequence",
    help: "The sequence of the last durable ledger record.",
    registers: [registry],
    collect() {
      this.set(runtime.log.durableHead);
    },
  });
  new Gauge({
    name: "buffmoney_entity_index_lag_records",
    help: "Durable records the entity index does not list yet; readers of a wallet's history wait for them.",
    registers: [registry],
    collect() {
      this.set(runtime.log.indexLagRecords);
    },
  });
  new Gauge({
    name: "buffmoney_wallets_resident",
    help: "Wallet actors held in memory (the least recently used are passivated past BUFFMONEY_RESIDENT_WALLETS_MAX).",
    registers: [registry],
    collect() {
      this.set(runtime.wallets.registry.residentCount);
    },
  });
  new Gauge({
    name: "buffmoney_webhook_deliveries_pending_loaded",
    help: "Pending webhook deliveries held in memory across endpoints (more may wait on disk).",
    registers: [registry],
    collect() {
      this.set(runtime.webhooks.pendingLoaded);
    },
  });
  const webhookAttempts = new Counter({
    name: "buffmoney_webhook_attempts_total",
    help: "Webhook delivery attempts recorded, by outcome (succeeded, retrying, failed).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: "buffmoney_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const httpSeconds = new Histogram({
    name: "buffmoney_http_request_duration_seconds",
    help: "HTTP request duration, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    buckets: requestSecondsBuckets,
    registers: [registry],
  });

  runtime.usage.onIngested((results) => {
    for (const result of results) usageEvents.inc({ status: result.status });
  });
  runtime.log.onBatch((records, ms) => {
    commitSeconds.observe(ms / 1000);
    batchRecords.observe(records);
  });
  runtime.webhooks.onAttempt((outcome) => webhookAttempts.inc({ outcome }));

  return {
    registry,
    observeRequest({ method, route, status, ms }) {
      const labels = { method, route, status: String(status) };
      httpRequests.inc(labels);
      httpSeconds.observe(labels, ms / 1000);
    },
  };
}

/**
 * GET /metrics in the Prometheus text format. Without a token it is open: bind to loopback or
 * firewall it. With one (BUFFMONEY_METRICS_TOKEN), scrapers send `Authorization: Bearer <token>`.
 */
export function serveMetrics(metrics: AppMetrics, token: string | undefined) {
  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`);
  return async (ctx: Context): Promise<void> => {
    if (expected) {
      const given = Buffer.from(ctx.get("Authorization"));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new DomainError("unauthorized", "send 'Authorization: Bearer <metrics token>'");
      }
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  };
}
