import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { Runtime } from "../actors/index.js";
import { startServer } from "../api/index.js";
import { createWebhookSender } from "../effects/webhooks/index.js";
import { log, runIfChild, sleep, type BenchRow } from "./lib/harness.js";
import { round } from "./lib/stats.js";
import { tempDir } from "./lib/tmp.js";

/**
 * 8. Fan-out, in-process against a real runtime (ledger fsynced, delivery bookkeeping fsynced):
 *    - webhook deliveries per second: customers are created (one event each) while endpoints of
 *      one merchant, each subscribed to every event, deliver to a node:http receiver on 127.0.0.1
 *      (in a worker thread) that answers 200 at once. Timed from the first create to the last
 *      delivery received; every endpoint must receive every event exactly once;
 *    - feed events per second: the same kind of events streamed over the WebSocket feed to
 *      subscribers (ws clients in a worker thread); every subscriber must receive every event once,
 *      in ledger order.
 */
const name = "webhooks";
const webhookEvents = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 2_000);
const webhookEndpoints = Math.min(16, Number(process.env.BENCH_WEBHOOK_ENDPOINTS ?? 8));
const feedEvents = Number(process.env.BENCH_FEED_EVENTS ?? 2_000);
const feedSubscribers = Number(process.env.BENCH_FEED_SUBSCRIBERS ?? 100);
const deliveriesTargetPerSecond = 5_000;
const feedTargetPerSecond = 20_000;
const createChunk = 250;
const waitMsMax = 25_000;

/** Answers 200 at once; counts `webhook-id`s per path (one path per endpoint). */
const receiverSource = `
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
const seen = new Map();
let total = 0;
const server = http.createServer((req, res) => {
  let ids = seen.get(req.url);
  if (!ids) seen.set(req.url, (ids = []));
  ids.push(String(req.headers["webhook-id"]));
  total += 1;
  req.resume();
  res.writeHead(200, { "content-type": "text/plain" }).end("ok");
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.on("message", (m) => {
  if (m === "count") parentPort.postMessage({ total });
  if (m === "report") parentPort.postMessage({ total, seen: [...seen] });
});
`;

/** Subscribers: each checks ledger order and hashes the IDs it received, for comparison. */
const subscribersSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const WebSocket = require(workerData.wsPath);
const clients = [];
let caughtUp = 0;
for (let i = 0; i < workerData.count; i++) {
  const client = { ids: [], lastSeq: -1, outOfOrder: 0, closed: null };
  const ws = new WebSocket(workerData.url);
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString("utf8"));
    if (m.object === "feed_caught_up") { caughtUp += 1; if (caughtUp === workerData.count) parentPort.postMessage({ ready: true }); return; }
    if (m.object !== "event") return;
    if (m.sequence <= client.lastSeq) client.outOfOrder += 1;
    client.lastSeq = m.sequence;
    client.ids.push(m.id);
  });
  ws.on("close", (code) => (client.closed = code));
  ws.on("error", () => {});
  // A refused connection never catches up: say so rather than leave the benchmark waiting.
  ws.on("unexpected-response", (_request, response) => {
    throw new Error("a subscriber was refused: HTTP " + response.statusCode);
  });
  client.ws = ws;
  clients.push(client);
}
parentPort.on("message", (m) => {
  if (m === "count") parentPort.postMessage({ min: Math.min(...clients.map((c) => c.ids.length)) });
  if (m === "report") {
    parentPort.postMessage({
      clients: clients.map((c) => ({
        count: c.ids.length,
        unique: new Set(c.ids).size,
        outOfOrder: c.outOfOrder,
        closed: c.closed,
        hash: createHash("sha256").update(c.ids.join(",")).digest("hex"),
      })),
    });
    for (const c of clients) c.ws.close();
  }
});
`;

/** The worker's next message that has `key` (or its error). */
function nextMessage<T>(worker: Worker, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      worker.off("message", onMessage).off("error", reject);
      resolve(message as T);
    };
    worker.on("message", onMessage).once("error", reject);
  });
}

/** Sends `request` and resolves with the worker's next message that has `key`. */
function ask<T>(worker: Worker, request: string, key: string): Promise<T> {
  const reply = nextMessage<T>(worker, key);
  worker.postMessage(request);
  return reply;
}

async function openRuntime(label: string) {
  const dir = await tempDir(label);
  const runtime = await Runtime.open({
    dataDir: dir.path,
    adminToken: "bench-admin",
    startTimers: false,
    // The receiver listens on 127.0.0.1, as on one developer's server.
    webhooks: { send: createWebhookSender(), privateAddressesAllowed: { test: true, live: false } },
  });
  const { merchant, apiKeys } = await runtime.merchants.create("Fan-out bench");
  return { dir, runtime, merchantId: merchant.id, apiKey: apiKeys.test };
}

/** `count` customers, created `createChunk` at a time (each one record, one customer.created event). */
async function createCustomers(runtime: Runtime, merchantId: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += createChunk) {
    const chunk = Array.from({ length: Math.min(createChunk, count - start) }, (_, i) =>
      runtime.customers.create("test", merchantId, {
        externalId: `c${start + i}`,
        name: null,
        email: null,
      }),
    );
    await Promise.all(chunk);
  }
}

async function waitUntil(check: () => Promise<boolean>): Promise<boolean> {
  const started = performance.now();
  while (performance.now() - started < waitMsMax) {
    if (await check()) return true;
    await sleep(20);
  }
  return false;
}

async function webhookDeliveries(): Promise<{ row: BenchRow; details: Record<string, unknown> }> {
  const receiver = new Worker(receiverSource, { eval: true });
  const { port } = await nextMessage<{ port: number }>(receiver, "port");
  const { dir, runtime, merchantId } = await openRuntime("webhooks");
  try {
    for (let e = 0; e < webhookEndpoints; e++) {
      await runtime.webhooks.endpoints.create(
        "test",
        merchantId,
        { url: `http://127.0.0.1:${port}/endpoint-${e}`, eventTypes: ["*"], description: null },
        { kind: "admin" },
      );
    }
    const expected = webhookEvents * webhookEndpoints;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await createCustomers(runtime, merchantId, webhookEvents);
    const createdMs = performance.now() - started;
    const done = await waitUntil(
      async () => (await ask<{ total: number }>(receiver, "count", "total")).total >= expected,
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerDelivery = (cpu.user + cpu.system) / 1000 / expected;
    await sleep(200); // anything delivered twice would arrive now
    const report = await ask<{ total: number; seen: Array<[string, string[]]> }>(receiver, "report", "seen");
    const idSets = report.seen.map(([, ids]) => new Set(ids));
    const first = idSets[0] ?? new Set<string>();
    const exactlyOnce =
      done &&
      report.total === expected &&
      report.seen.length === webhookEndpoints &&
      report.seen.every(([, ids]) => ids.length === webhookEvents && new Set(ids).size === webhookEvents) &&
      idSets.every((set) => [...set].every((id) => first.has(id)));
    const perSecond = report.total / seconds;
    log(
      name,
      `webhooks: ${report.total}/${expected} deliveries in ${seconds.toFixed(2)} s (${round(perSecond)}/s); events created in ${createdMs.toFixed(0)} ms; exactly once: ${exactlyOnce}`,
    );
    return {
      row: {
        name: `webhook deliveries/s (${webhookEvents} events × ${webhookEndpoints} endpoints, local 200 receiver)`,
        unit: "/s",
        measured: round(perSecond),
        target: `≥ ${deliveriesTargetPerSecond}, each once`,
        pass: exactlyOnce && perSecond >= deliveriesTargetPerSecond,
        notes: exactlyOnce
          ? `every endpoint received every event exactly once; ${seconds.toFixed(2)} s from first create to last delivery (events created in ${createdMs.toFixed(0)} ms); ${cpuMsPerDelivery.toFixed(3)} CPU ms per delivery (server, sender and receiver together)`
          : `CORRECTNESS FAILED: ${report.total}/${expected} deliveries, per endpoint ${report.seen.map(([, ids]) => `${ids.length}/${new Set(ids).size}`).join(" ")}`,
      },
      details: { expected, delivered: report.total, seconds, createdMs, cpuMsPerDelivery, exactlyOnce },
    };
  } finally {
    await runtime.close();
    await receiver.terminate();
    await dir.remove();
  }
}

async function feedFanOut(): Promise<{ row: BenchRow; details: Record<string, unknown> }> {
  const { dir, runtime, merchantId, apiKey } = await openRuntime("feed");
  const server = await startServer(runtime, { port: 0, host: "127.0.0.1" });
  const url = `${server.url.replace(/^http/, "ws")}/v1/feed?token=${apiKey}`;
  const subscribers = new Worker(subscribersSource, {
    eval: true,
    workerData: { url, count: feedSubscribers, wsPath: createRequire(import.meta.url).resolve("ws") },
  });
  try {
    await nextMessage(subscribers, "ready");
    const expected = feedEvents * feedSubscribers;
    const started = performance.now();
    await createCustomers(runtime, merchantId, feedEvents);
    const createdMs = performance.now() - started;
    const done = await waitUntil(
      async () => (await ask<{ min: number }>(subscribers, "count", "min")).min >= feedEvents,
    );
    const seconds = (performance.now() - started) / 1000;
    await sleep(200);
    const { clients } = await ask<{
      clients: Array<{
        count: number;
        unique: number;
        outOfOrder: number;
        closed: number | null;
        hash: string;
      }>;
    }>(subscribers, "report", "clients");
    const received = clients.reduce((sum, c) => sum + c.count, 0);
    const hash = clients[0]?.hash;
    const inOrderOnce =
      done &&
      clients.length === feedSubscribers &&
      clients.every(
        (c) =>
          c.count === feedEvents &&
          c.unique === feedEvents &&
          c.outOfOrder === 0 &&
          c.closed === null &&
          c.hash === hash,
      );
    const perSecond = received / seconds;
    log(
      name,
      `feed: ${received}/${expected} events to ${feedSubscribers} subscribers in ${seconds.toFixed(2)} s (${round(perSecond)}/s); in order, once: ${inOrderOnce}`,
    );
    return {
      row: {
        name: `feed events/s (${feedEvents} events × ${feedSubscribers} WebSocket subscribers)`,
        unit: "/s",
        measured: round(perSecond),
        target: `≥ ${feedTargetPerSecond}, in order, once`,
        pass: inOrderOnce && perSecond >= feedTargetPerSecond,
        notes: inOrderOnce
          ? `every subscriber received the same ${feedEvents} events once, in ledger order; ${seconds.toFixed(2)} s from first create to last event received (events created in ${createdMs.toFixed(0)} ms)`
          : `CORRECTNESS FAILED: ${received}/${expected} received; counts ${[...new Set(clients.map((c) => c.count))].join(",")}; out of order ${clients.reduce((s, c) => s + c.outOfOrder, 0)}; closed ${clients.filter((c) => c.closed !== null).length}`,
      },
      details: { expected, received, seconds, createdMs, inOrderOnce },
    };
  } finally {
    await subscribers.terminate();
    await server.close();
    await dir.remove();
  }
}

async function run() {
  const webhooks = await webhookDeliveries();
  const feed = await feedFanOut();
  return {
    rows: [webhooks.row, feed.row],
    details: { webhooks: webhooks.details, feed: feed.details },
  };
}

runIfChild(name, run);
