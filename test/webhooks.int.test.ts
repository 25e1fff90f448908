import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/** Tests read response bodies freely; each test asserts the shapes it relies on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  event: Json;
  status: number;
}

type Answer = { status: number; body?: string } | { hangMs: number };

/** A webhook receiver on 127.0.0.1: answers with `answer(n, event)` (n counts requests per event id). */
async function receiver(answer: (n: number, event: Json) => Answer = () => ({ status: 200 })) {
  const received: Received[] = [];
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const event = JSON.parse(body) as Json;
      const n = (seen.get(String(req.headers["webhook-id"])) ?? 0) + 1;
      seen.set(String(req.headers["webhook-id"]), n);
      const reply = answer(n, event);
      const status = "status" in reply ? reply.status : 0;
      received.push({ ...headersOf(req.headers), body, event, status });
      if ("hangMs" in reply) return void setTimeout(() => res.destroyed || res.end("late"), reply.hangMs);
      res.statusCode = reply.status;
      res.end(reply.body ?? "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** Ids answered 2xx, with how many times each was. */
    succeeded() {
      const counts = new Map<string, number>();
      for (const r of received)
        if (r.status >= 200 && r.status < 300) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
      return counts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function headersOf(headers: IncomingHttpHeaders) {
  return {
    id: String(headers["webhook-id"]),
    timestamp: String(headers["webhook-timestamp"]),
    signature: String(headers["webhook-signature"]),
  };
}

/** Standard Webhooks verification, written here independently of the server's signer. */
function signatureValid(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${r.id}.${r.timestamp}.${r.body}`).digest("base64");
  return r.signature.split(" ").includes(`v1,${expected}`);
}

async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
) {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The merchant's events from the feed, history only (until it says it has caught up). */
async function feedEvents(baseUrl: string, key: string): Promise<Json[]> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/feed?after=0`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  const events: Json[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as Json;
      if (message.object === "event") events.push(message);
      else if (message.object === "feed_caught_up") resolve();
    });
    ws.once("error", reject);
  });
  ws.close();
  return events;
}

const fastRetries = {
  scheduleMs: [50, 100, 100, 100, 100, 100, 100, 100],
  jitterRatio: 0,
  requestTimeoutMs: 300,
};

let server: Awaited<ReturnType<typeof startTestServer>>;
const receivers: Array<{ close: () => Promise<void> }> = [];

async function merchantApi(name: string) {
  const merchant = await server.admin.merchants.create({ name });
  return jsonClient(server.url, merchant.apiKeys.test);
}

async function newReceiver(answer?: (n: number, event: Json) => Answer) {
  const r = await receiver(answer);
  receivers.push(r);
  return r;
}

beforeAll(async () => {
  server = await startTestServer({ webhooks: fastRetries });
});
afterAll(async () => {
  await server.remove();
  await Promise.all(receivers.map((r) => r.close()));
});

describe("webhook endpoints", () => {
  it("shows the secret once, validates URLs and event types, and lists endpoints without secrets", async () => {
    const api = await merchantApi("Endpoints");
    const created = await api.post("/v1/webhook-endpoints", {
      url: "https://example.com/hooks",
      eventTypes: ["customer.created", "wallet.granted"],
      description: "CRM sync",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: "webhook_endpoint",
      status: "enabled",
      environment: "test",
    });
    expect(Buffer.from(created.body.secret.replace(/^whsec_/, ""), "base64")).toHaveLength(24);
    const listed = await api.get("/v1/webhook-endpoints");
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0].secret).toBeUndefined();
    const retrieved = await api.get(`/v1/webhook-endpoints/${created.body.id}`);
    expect(retrieved.body.secret).toBeUndefined();

    for (const bad of [
      { url: "ftp://example.com/x", eventTypes: ["*"] },
      { url: "not a url", eventTypes: ["*"] },
      { url: "https://example.com", eventTypes: ["customer.deleted"] },
      { url: "https://example.com", eventTypes: ["*", "customer.created"] },
    ]) {
      expect((await api.post("/v1/webhook-endpoints", bad)).status).toBe(400);
    }
    // An unknown type is named with the ones there are.
    const unknown = await api.post("/v1/webhook-endpoints", {
      url: "https://example.com",
      eventTypes: ["customer.deleted"],
    });
    expect(unknown.body.detail).toMatch(/^eventTypes\.0: "\*" or one of customer\.created, /);
    const other = await merchantApi("Someone else");
    expect((await other.get(`/v1/webhook-endpoints/${created.body.id}`)).body.code).toBe(
      "webhook_endpoint_not_found",
    );
  });
});

describe("webhook delivery", () => {
  it("signs per Standard Webhooks, verified by an independent HMAC, with the event as the body", async () => {
    const api = await merchantApi("Signing");
    const hook = await newReceiver();
    const endpoint = (await api.post("/v1/webhook-endpoints", { url: hook.url, eventTypes: ["*"] })).body;
    await api.post("/v1/customers", { externalId: "sig-1", name: "Li Lei" });
    await api.post("/v1/customers/sig-1/wallet/grants", { amount: "10", reason: "welcome" });
    await waitFor(() => hook.received.length >= 2);

    const [created, granted] = hook.received;
    if (!created || !granted) throw new Error("missing deliveries");
    for (const r of hook.received) {
      expect(signatureValid(endpoint.secret, r)).toBe(true);
      expect(r.id).toBe(r.event.id);
      expect(Math.abs(Number(r.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    }
    expect(signatureValid("whsec_" + Buffer.alloc(24).toString("base64"), created)).toBe(false);
    expect(created.event).toMatchObject({
      object: "event",
      type: "customer.created",
      apiVersion: "2026-11-01",
      environment: "test",
      data: { object: "customer", externalId: "sig-1", name: "Li Lei" },
    });
    expect(created.event.id).toBe(`evt_${created.event.sequence}_0`);
    expect(granted.event).toMatchObject({
      type: "wallet.granted",
      data: {
        wallet: { customerExternalId: "sig-1", balance: "10.00", available: "10.00", status: "active" },
        transaction: { type: "grant", amount: "10.00", reason: "welcome" },
      },
    });
    expect(granted.event.sequence).toBeGreaterThan(created.event.sequence);
  });

  it("retries a failing endpoint with backoff until it succeeds, recording every attempt", async () => {
    const api = await merchantApi("Retries");
    const answers: Answer[] = [
      { status: 500, body: "boom" },
      { status: 503 },
      { hangMs: 1_000 },
      { status: 204 },
    ];
    const hook = await newReceiver((n) => answers[n - 1] ?? { status: 200 });
    const endpoint = (
      await api.post("/v1/webhook-endpoints", { url: hook.url, eventTypes: ["customer.created"] })
    ).body;
    await api.post("/v1/customers", { externalId: "retry-1" });
    await waitFor(() => hook.succeeded().size === 1);

    const list = await api.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`);
    expect(list.body.data).toHaveLength(1);
    const delivery = (await api.get(`/v1/webhook-deliveries/${list.body.data[0].id}`)).body;
    expect(delivery).toMatchObject({
      status: "succeeded",
      attemptCount: 4,
      replay: false,
      nextAttemptAt: null,
    });
    expect(delivery.attempts.map((a: Json) => a.statusCode ?? a.error)).toEqual([500, 503, "timeout", 204]);
    expect(delivery.attempts[0].responseExcerpt).toBe("boom");
    expect(delivery.attempts[2].latencyMs).toBeGreaterThanOrEqual(290);
    const gaps = delivery.attempts
      .slice(1)
      .map((a: Json, i: number) => Date.parse(a.at) - Date.parse(delivery.attempts[i].at));
    expect(gaps[0]).toBeGreaterThanOrEqual(50);
    expect(gaps[1]).toBeGreaterThanOrEqual(100);
    expect(hook.received.map((r) => r.id)).toEqual(Array(4).fill(delivery.eventId));

    const failed = await api.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries?status=failed`);
    expect(failed.body.data).toEqual([]);
  });

  it("does not let a slow endpoint delay a fast one", async () => {
    const api = await merchantApi("Slow and fast");
    const slow = await newReceiver(() => ({ hangMs: 2_000 }));
    const fast = await newReceiver();
    await api.post("/v1/webhook-endpoints", { url: slow.url, eventTypes: ["*"] });
    await api.post("/v1/webhook-endpoints", { url: fast.url, eventTypes: ["*"] });
    const started = Date.now();
    for (let i = 0; i < 8; i++) await api.post("/v1/customers", { externalId: `sf-${i}` });
    await waitFor(() => fast.succeeded().size === 8, 2_000);
    const fastMs = Date.now() - started;
    expect(fastMs).toBeLessThan(1_500);
    expect(slow.received.length).toBeGreaterThan(0);
    expect(slow.succeeded().size).toBe(0);
  });

  it("signs with the old and the new secret while a rotation overlaps", async () => {
    const api = await merchantApi("Rotation");
    const hook = await newReceiver();
    const endpoint = (
      await api.post("/v1/webhook-endpoints", { url: hook.url, eventTypes: ["customer.created"] })
    ).body;
    const rotated = await api.post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    await api.post("/v1/customers", { externalId: "rot-1" });
    const [r] = await waitFor(() => hook.received.length === 1 && hook.received);
    if (!r) throw new Error("no delivery");
    expect(r.signature.split(" ")).toHaveLength(2);
    expect(signatureValid(endpoint.secret, r)).toBe(true);
    expect(signatureValid(rotated.body.secret, r)).toBe(true);
  });

  it("replays a range of events and retries one delivery on request", async () => {
    const api = await merchantApi("Replay");
    const hook = await newReceiver();
    const endpoint = (await api.post("/v1/webhook-endpoints", { url: hook.url, eventTypes: ["*"] })).body;
    for (const id of ["rp-1", "rp-2", "rp-3"]) await api.post("/v1/customers", { externalId: id });
    await api.post("/v1/customers/rp-1/wallet/grants", { amount: "5", reason: "r" });
    await waitFor(() => hook.succeeded().size === 4);
    const firstSeq = Math.min(...hook.received.map((r) => r.event.sequence as number));

    const replayed = await api.post(`/v1/webhook-endpoints/${endpoint.id}/replay`, {
      eventTypes: ["customer.created"],
      fromSequence: firstSeq + 1,
    });
    expect(replayed.status).toBe(202);
    expect(replayed.body).toMatchObject({ object: "webhook_replay", deliveries: 2, hasMore: false });
    await waitFor(() => hook.received.length === 6);
    const again = hook.received.slice(4).map((r) => r.event);
    expect(again.map((e) => e.type)).toEqual(["customer.created", "customer.created"]);
    expect(again.map((e) => e.data.externalId).sort()).toEqual(["rp-2", "rp-3"]);

    const byTime = await api.post(`/v1/webhook-endpoints/${endpoint.id}/replay`, {
      from: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(byTime.body.deliveries).toBe(0);
    // A time without its offset would be read in the server's zone: refused, nothing replayed.
    const local = await api.post(`/v1/webhook-endpoints/${endpoint.id}/replay`, {
      from: "2026-11-01T00:00:00",
    });
    expect(local.status).toBe(400);
    expect(local.body.detail).toMatch(/RFC 3339/);

    const list = await api.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=2`);
    expect(list.body.data.map((d: Json) => d.replay)).toEqual([true, true]);
    expect(list.body.hasMore).toBe(true);
    const next = await api.get(
      `/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=10&startingAfter=${list.body.nextCursor}`,
    );
    expect(next.body.data).toHaveLength(4);
    expect(next.body.data.every((d: Json) => !d.replay && d.status === "succeeded")).toBe(true);

    const one = next.body.data[0];
    const retried = await api.post(`/v1/webhook-deliveries/${one.id}/retry`, {});
    expect(retried.status).toBe(202);
    await waitFor(() => hook.received.length === 7);
    expect(hook.received[6]?.id).toBe(one.eventId);
    const after = await waitFor(async () => {
      const d = (await api.get(`/v1/webhook-deliveries/${one.id}`)).body;
      return d.attemptCount === 2 && d;
    });
    expect(after.status).toBe("succeeded");
  });
});

describe("webhook outbox durability", () => {
  it("loses and repeats no delivery across a restart in the middle of retries", async () => {
    const dir = await tempDir();
    const retries = { ...fastRetries, scheduleMs: [100, 200, 200, 200, 200, 200, 200, 200] };
    let failing = false;
    const hook = await newReceiver(() => (failing ? { status: 500 } : { status: 200 }));
    let running = await startTestServer({ dataDir: dir.path, webhooks: retries });
    try {
      const key = (await running.admin.merchants.create({ name: "Restart" })).apiKeys.test;
      const api = jsonClient(running.url, key);
      await api.post("/v1/webhook-endpoints", { url: hook.url, eventTypes: ["customer.created"] });

      for (const id of ["a1", "a2", "a3"]) await api.post("/v1/customers", { externalId: id });
      await waitFor(() => hook.succeeded().size === 3);

      failing = true;
      for (const id of ["b1", "b2", "b3"]) await api.post("/v1/customers", { externalId: id });
      await waitFor(() => new Set(hook.received.filter((r) => r.status === 500).map((r) => r.id)).size === 3);
      await running.stop();

      // A run that sends nothing: its new event waits as a pending delivery, like the failed ones.
      running = await startTestServer({ dataDir: dir.path, webhooks: { ...retries, send: undefined } });
      await jsonClient(running.url, key).post("/v1/customers", { externalId: "c1" });
      await running.stop();

      failing = false;
      running = await startTestServer({ dataDir: dir.path, webhooks: retries });
      await waitFor(() => hook.succeeded().size === 7);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const succeeded = hook.succeeded();
      const names = hook.received.filter((r) => r.status === 200).map((r) => r.event.data.externalId);
      expect([...new Set(names)].sort()).toEqual(["a1", "a2", "a3", "b1", "b2", "b3", "c1"]);
      expect([...succeeded.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await running.stop();
      await dir.remove();
    }
  });

  it("disables an endpoint that keeps failing and tells the merchant's other endpoints", async () => {
    const local = await startTestServer({
      webhooks: {
        scheduleMs: [20, 20, 20, 20, 20, 20, 20, 20],
        jitterRatio: 0,
        disableAfterMs: 100,
        disableAfterFailures: 3,
      },
    });
    try {
      const key = (await local.admin.merchants.create({ name: "Failing" })).apiKeys.test;
      const api = jsonClient(local.url, key);
      const broken = await newReceiver(() => ({ status: 500 }));
      const healthy = await newReceiver();
      const failing = (await api.post("/v1/webhook-endpoints", { url: broken.url, eventTypes: ["*"] })).body;
      await api.post("/v1/webhook-endpoints", {
        url: healthy.url,
        eventTypes: ["webhook_endpoint.disabled"],
      });
      await api.post("/v1/customers", { externalId: "f-1" });

      const notice = await waitFor(() =>
        healthy.received.find((r) => r.event.type === "webhook_endpoint.disabled"),
      );
      expect(notice.event.data).toMatchObject({
        id: failing.id,
        status: "disabled",
        disabledReason: "failing",
      });
      const endpoint = (await api.get(`/v1/webhook-endpoints/${failing.id}`)).body;
      expect(endpoint).toMatchObject({ status: "disabled", disabledReason: "failing" });
      const attempts = broken.received.length;
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect((await api.post(`/v1/webhook-endpoints/${failing.id}/replay`, {})).body.code).toBe(
        "webhook_endpoint_disabled",
      );
      const feed = await feedEvents(local.url, key);
      expect(feed.find((e) => e.type === "webhook_endpoint.disabled")?.data.id).toBe(failing.id);
      const audit = await api.get("/v1/audit-log");
      expect(audit.body.data.map((e: Json) => e.action)).toContain("webhook_endpoint.disabled");

      const enabled = await api.post(`/v1/webhook-endpoints/${failing.id}/enable`, {});
      expect(enabled.body.status).toBe("enabled");
      await waitFor(() => broken.received.length > attempts);
    } finally {
      await local.remove();
    }
  });
});
