import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Runtime } from "../actors/index.js";
import { createApp } from "../api/index.js";
import { jsonClient } from "./support/http.js";
import { adminToken, startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/** The value of one sample line (`name{labels} value`), or 0 when the series is absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("GET /metrics", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let receiver: Server;
  let receiverUrl = "";
  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();

  beforeAll(async () => {
    server = await startTestServer();
    receiver = createServer((_req, res) => res.writeHead(200).end("ok"));
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await server.remove();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it("counts usage events by status, ledger batches, webhook attempts and HTTP requests by route", async () => {
    const before = await scrape();
    const admin = jsonClient(server.url, adminToken);
    const merchant = (await admin.post("/v1/admin/merchants", { name: "Metrics" })).body;
    const api = jsonClient(server.url, merchant.apiKeys.test as string);
    await api.post("/v1/webhook-endpoints", { url: receiverUrl, eventTypes: ["customer.created"] });
    const card = await api.post("/v1/rate-cards", {
      name: "images",
      currency: "CNY",
      prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.10" }],
    });
    await api.post("/v1/customers", { externalId: "c1" });
    await api.get("/v1/no-such-route/c2");
    await api.patch("/v1/customers/c1", { rateCardId: card.body.id, billingMode: "postpaid" });
    await api.get("/v1/customers/c1");
    const now = new Date().toISOString();
    const ingested = await api.post("/v1/usage-events", {
      events: [
        { customerExternalId: "c1", idempotencyKey: "a", metric: "images", quantity: "2", occurredAt: now },
        { customerExternalId: "c1", idempotencyKey: "a", metric: "images", quantity: "2", occurredAt: now },
        { customerExternalId: "c1", idempotencyKey: "b", metric: "nope", quantity: "1", occurredAt: now },
      ],
    });
    expect(ingested.body.results.map((r: { status: string }) => r.status)).toEqual([
      "accepted",
      "duplicate",
      "rejected",
    ]);
    const succeeded = 'buffmoney_webhook_attempts_total{outcome="succeeded"}';
    await waitFor(async () => sample(await scrape(), succeeded) >= 1);

    const after = await scrape();
    const moved = (series: string) => sample(after, series) - sample(before, series);
    expect(moved('buffmoney_usage_events_total{status="accepted"}')).toBe(1);
    expect(moved('buffmoney_usage_events_total{status="duplicate"}')).toBe(1);
    expect(moved('buffmoney_usage_events_total{status="rejected"}')).toBe(1);
    expect(moved(succeeded)).toBe(1);
    expect(moved("buffmoney_ledger_commit_duration_seconds_count")).toBeGreaterThanOrEqual(5);
    expect(moved("buffmoney_ledger_batch_records_sum")).toBeGreaterThanOrEqual(5);
    expect(after).toMatch(/^buffmoney_ledger_queued_records \d+$/m);
    expect(moved("buffmoney_ledger_head_sequence")).toBeGreaterThanOrEqual(5);
    expect(after).toMatch(/^buffmoney_entity_index_lag_records \d+$/m);
    expect(sample(after, "buffmoney_wallets_resident")).toBeGreaterThanOrEqual(1);
    expect(after).toMatch(/^buffmoney_webhook_deliveries_pending_loaded \d+$/m);
    expect(after).toMatch(/^process_cpu_user_seconds_total /m);
    // Route patterns, never raw IDs.
    expect(
      moved('buffmoney_http_requests_total{method="GET",route="/v1/customers/:externalId",status="200"}'),
    ).toBe(1);
    expect(moved('buffmoney_http_requests_total{method="POST",route="/v1/usage-events",status="200"}')).toBe(
      1,
    );
    expect(moved('buffmoney_http_requests_total{method="GET",route="(unmatched)",status="404"}')).toBe(1);
    expect(after).not.toContain("c1");
    expect(after).not.toContain("c2");
  });
});

describe("metrics token and access log", () => {
  it("asks for the metrics token when one is set, and logs route patterns with the merchant", async () => {
    const dir = await tempDir();
    const runtime = await Runtime.open({ dataDir: dir.path, adminToken: "admin", startTimers: false });
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
        done();
      },
    });
    const app = createApp(runtime, { logger: pino({ level: "info" }, sink), metricsToken: "scrape-me" });
    const http = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => http.once("listening", resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const authorized = await fetch(`${url}/metrics`, { headers: { Authorization: "Bearer scrape-me" } });
      expect(authorized.status).toBe(200);
      expect(await authorized.text()).toContain("buffmoney_http_requests_total");

      const merchant = (await jsonClient(url, "admin").post("/v1/admin/merchants", { name: "Logs" })).body;
      await jsonClient(url, merchant.apiKeys.test as string).get("/v1/customers/nobody");
      const line = lines.find((l) => l.path === "/v1/customers/:externalId");
      expect(line).toMatchObject({
        method: "GET",
        status: 404,
        merchantId: merchant.id,
        env: "test",
        msg: "request",
      });
      expect(typeof line?.ms).toBe("number");
      expect(String(line?.requestId)).toMatch(/^req_/);
    } finally {
      await new Promise((resolve) => http.close(resolve));
      await runtime.close();
      await dir.remove();
    }
  });
});
