import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { eventTypes, type EventType } from "../actors/index.js";
import { eventDataSchemas, eventSchemaName, eventSchemas } from "../api/eventSchemas.js";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";

/** Tests read bodies freely; each test asserts the shapes it relies on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every event of the merchant from the start of the ledger, read from the WebSocket feed. */
async function feedEvents(baseUrl: string, key: string): Promise<Json[]> {
  const url = new URL("/v1/feed", baseUrl.replace(/^http/, "ws"));
  url.searchParams.set("after", "0");
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` } });
  const messages: Json[] = [];
  const caughtUp = new Promise<void>((resolve, reject) => {
    ws.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as Json;
      messages.push(message);
      if (message.object === "feed_caught_up") resolve();
    });
    ws.once("error", reject);
  });
  await caughtUp;
  ws.close();
  return messages.filter((m) => m.object === "event");
}

/** Parses an event with its type's schema; the parse must keep every field (none undocumented). */
function expectValid(event: Json) {
  const type = event.type as EventType;
  const schema = eventSchemas[type];
  expect(schema, `no schema for ${type}`).toBeDefined();
  const parsed = schema.safeParse(event);
  expect(parsed.error?.issues ?? [], `${type} ${JSON.stringify(event)}`).toEqual([]);
  expect(parsed.data, `${type} has fields its schema does not name`).toEqual(event);
}

let server: Awaited<ReturnType<typeof startTestServer>>;
let receiver: Server;
let receiverUrl: string;
const delivered: Json[] = [];

beforeAll(async () => {
  server = await startTestServer({ collect: true });
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      delivered.push({ headers: req.headers, event: JSON.parse(body) as Json });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await server.remove();
});

describe("the event catalogue in the OpenAPI document", () => {
  it("has a schema for every event type of the catalogue, and none for a type it lacks", () => {
    expect(Object.keys(eventDataSchemas).sort()).toEqual([...eventTypes].sort());
    expect(Object.keys(eventSchemas).sort()).toEqual([...eventTypes].sort());
    for (const type of eventTypes) expect(eventSchemas[type], type).toBeDefined();
  });

  it("publishes every event type under webhooks: its schema as the body, the Standard Webhooks headers", async () => {
    const document = (await (await fetch(`${server.url}/api/openapi`)).json()) as Json;
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.webhooks).sort()).toEqual([...eventTypes].sort());
    for (const type of eventTypes) {
      const post = document.webhooks[type].post;
      const name = eventSchemaName(type);
      expect(post.requestBody.content["application/json"].schema).toEqual({
        $ref: `#/components/schemas/${name}`,
      });
      for (const header of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
        expect(post.description).toContain(header);
        expect(post.parameters).toContainEqual(expect.objectContaining({ in: "header", name: header }));
      }
      const schema = document.components.schemas[name];
      expect(schema.properties.type.const).toBe(type);
      expect(schema.properties.apiVersion.const).toBe("2026-11-01");
      expect(schema.required).toEqual(
        expect.arrayContaining(["id", "object", "type", "sequence", "createdAt", "environment", "data"]),
      );
    }
    // The view schemas the payloads reuse are referenced, not copied.
    expect(document.components.schemas.CustomerCreatedEvent.properties.data).toEqual({
      $ref: "#/components/schemas/Customer",
    });
    expect(document.components.schemas.RateCardCreatedEvent.properties.data).toEqual({
      $ref: "#/components/schemas/RateCard",
    });
    for (const [event, data] of [
      ["InvoiceFinalizedEvent", "EventInvoice"],
      ["PaymentSucceededEvent", "EventPayment"],
      ["PurchasePaidEvent", "Purchase"],
      ["EntitlementGrantedEvent", "EventEntitlement"],
    ] as const) {
      expect(document.components.schemas[event].properties.data).toEqual({
        $ref: `#/components/schemas/${data}`,
      });
    }
  });

  it("describes the real events of the feed and of webhook deliveries", async () => {
    const key = (await server.admin.merchants.create({ name: "Catalogue" })).apiKeys.test;
    const api = jsonClient(server.url, key);
    const ok = async (call: Promise<{ status: number; body: Json }>) => {
      const { status, body } = await call;
      expect(status, JSON.stringify(body)).toBeLessThan(300);
      return body;
    };
    await ok(api.post("/v1/webhook-endpoints", { url: receiverUrl, eventTypes: ["*"] }));

    await ok(api.post("/v1/customers", { externalId: "cat-1", name: "Han Meimei" }));
    await ok(api.patch("/v1/customers/cat-1", { email: "han@example.com" }));
    const wallet = "/v1/customers/cat-1/wallet";
    await ok(api.post(`${wallet}/grants`, { amount: "100", reason: "welcome" }));
    await ok(api.post(`${wallet}/debits`, { amount: "1.50", description: "one call" }));
    const held = await ok(api.post(`${wallet}/reservations`, { amount: "5" }));
    await ok(api.post(`${wallet}/reservations/${held.reservation.id}/capture`, { amount: "2" }));
    const dropped = await ok(api.post(`${wallet}/reservations`, { amount: "3" }));
    await ok(api.post(`${wallet}/reservations/${dropped.reservation.id}/release`, {}));
    await ok(api.post(`${wallet}/reservations`, { amount: "1", expiresInSeconds: 1 }));
    await ok(api.post(`${wallet}/freeze`, { reason: "review" }));
    await ok(api.post(`${wallet}/unfreeze`, {}));

    await ok(api.post("/v1/metrics", { key: "renders", name: "Renders", unit: "render" }));
    const card = await ok(
      api.post("/v1/rate-cards", {
        name: "tokens",
        currency: "CNY",
        prices: [
          { metric: "renders", pricing: "per_unit", unitAmount: "0.20", dimensions: { model: "flux" } },
          { metric: "renders", pricing: "per_unit", unitAmount: "0.10" },
        ],
      }),
    );
    await ok(
      api.post(`/v1/rate-cards/${card.id}/versions`, {
        currency: "CNY",
        prices: [{ metric: "renders", pricing: "per_unit", unitAmount: "0.30" }],
      }),
    );
    await ok(api.patch("/v1/customers/cat-1", { rateCardId: card.id, billingMode: "prepaid" }));
    const now = new Date().toISOString();
    const usage = await ok(
      api.post("/v1/usage-events", {
        events: [
          {
            customerExternalId: "cat-1",
            idempotencyKey: "u-1",
            metric: "renders",
            quantity: "2",
            occurredAt: now,
          },
          {
            customerExternalId: "cat-1",
            idempotencyKey: "u-2",
            metric: "renders",
            quantity: "1",
            occurredAt: now,
            dimensions: { model: "flux" },
          },
        ],
      }),
    );
    expect(usage.results.map((r: Json) => r.status)).toEqual(["accepted", "accepted"]);

    const topUp = await ok(api.post(`${wallet}/top-ups`, { amount: "50.00", channel: "wechat_native" }));
    await ok(api.post(`/v1/sandbox/invoices/${topUp.invoiceId}/simulate-payment`, { outcome: "succeeded" }));

    const other = await ok(
      api.post("/v1/webhook-endpoints", { url: `${receiverUrl}/other`, eventTypes: ["metric.created"] }),
    );
    await ok(api.post(`/v1/webhook-endpoints/${other.id}/disable`, {}));

    const expected: EventType[] = [
      "customer.created",
      "customer.updated",
      "wallet.granted",
      "wallet.debited",
      "wallet.reserved",
      "wallet.captured",
      "wallet.released",
      "wallet.frozen",
      "wallet.unfrozen",
      "metric.created",
      "rate_card.created",
      "rate_card.version_published",
      "usage.recorded",
      "webhook_endpoint.disabled",
      "wallet.expired",
      "wallet.topped_up",
      "payment.succeeded",
    ];
    const events = await waitFor(async () => {
      const all = await feedEvents(server.url, key);
      return expected.every((type) => all.some((e) => e.type === type)) && all;
    });
    for (const event of events) expectValid(event);

    // What an endpoint receives is the same event, and matches the same schema.
    const hooks = await waitFor(() => {
      const mine = delivered.filter((d) => events.some((e: Json) => e.id === d.event.id));
      return new Set(mine.map((d) => d.event.id)).size === events.length && mine;
    });
    for (const { headers, event } of hooks) {
      expect(headers["webhook-id"]).toBe(event.id);
      expectValid(event);
    }
  });
});
