import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import BuffMoneyClient from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { EventType } from "../actors/index.js";
import { monthlyPeriodEnd } from "../domain/billing/index.js";
import { eventSchemas } from "../api/eventSchemas.js";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";

/** Tests read bodies freely; each test asserts the shapes it relies on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  event: Json;
}

/** A webhook receiver on 127.0.0.1 that acknowledges everything. */
async function receiver() {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({
        id: String(req.headers["webhook-id"]),
        timestamp: String(req.headers["webhook-timestamp"]),
        signature: String(req.headers["webhook-signature"]),
        body,
        event: JSON.parse(body) as Json,
      });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
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

/** The merchant's events from the start of the ledger, read from the WebSocket feed. */
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

/** Ledger order: by record, then by place in the record (`evt_<sequence>_<n>`). */
const inLedgerOrder = (events: Json[]) =>
  [...events].sort(
    (a, b) => a.sequence - b.sequence || Number(a.id.split("_")[2]) - Number(b.id.split("_")[2]),
  );

/** Parses an event with its type's published schema; the parse must keep every field. */
function expectValid(event: Json) {
  const parsed = eventSchemas[event.type as EventType].safeParse(event);
  expect(parsed.error?.issues ?? [], `${event.type} ${JSON.stringify(event)}`).toEqual([]);
  expect(parsed.data, `${event.type} has fields its schema does not name`).toEqual(event);
}

let server: Awaited<ReturnType<typeof startTestServer>>;
const receivers: Array<{ close: () => Promise<void> }> = [];

beforeAll(async () => {
  server = await startTestServer({ collect: true });
});
afterAll(async () => {
  await server.remove();
  await Promise.all(receivers.map((r) => r.close()));
});

/** A merchant with a webhook endpoint on a fresh receiver, subscribed to `eventTypes`. */
async function merchantWithEndpoint(name: string, eventTypes: EventType[]) {
  const key = (await server.admin.merchants.create({ name })).apiKeys.test;
  const hook = await receiver();
  receivers.push(hook);
  const created = await jsonClient(server.url, key).post("/v1/webhook-endpoints", {
    url: hook.url,
    eventTypes,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const client = new BuffMoneyClient({ apiKey: key, baseUrl: server.url, maxRetries: 0 });
  return { key, client, hook, secret: created.body.secret as string };
}

async function payInvoice(client: BuffMoneyClient, invoiceId: string) {
  await client.invoices.pay(invoiceId, { channel: "wechat_native" });
  expect((await client.sandbox.simulatePayment(invoiceId, { outcome: "succeeded" })).status).toBe("paid");
}

const day = 24 * 3600 * 1000;

describe("billing events", () => {
  it("a one-time purchase, paid and refunded: signed invoice and entitlement events, in ledger order, also on the feed", async () => {
    const { key, client, hook, secret } = await merchantWithEndpoint("Purchase events", [
      "invoice.finalized",
      "invoice.paid",
      "invoice.voided",
      "invoice.marked_uncollectible",
      "invoice.refunded",
      "entitlement.granted",
      "entitlement.revoked",
    ]);
    const product = await client.products.create({ name: "Lifetime access", nameZh: "终身会员" });
    const price = await client.prices.create({
      productId: product.id,
      type: "one_time",
      unitAmount: "99.00",
      refundWindowDays: 7,
    });
    await client.customers.create({ externalId: "buyer-1" });
    const bought = await client.purchases.create({ customerExternalId: "buyer-1", priceId: price.id });
    await payInvoice(client, bought.invoiceId);
    await client.purchases.refund(bought.id, { reason: "changed my mind" });

    await waitFor(() => hook.received.length >= 5);
    for (const r of hook.received) {
      expect(signatureValid(secret, r), r.event.type).toBe(true);
      expect(r.id).toBe(r.event.id);
      expectValid(r.event);
    }
    const delivered = inLedgerOrder(hook.received.map((r) => r.event));
    expect(delivered.map((e) => e.type)).toEqual([
      "invoice.finalized",
      "invoice.paid",
      "entitlement.granted",
      "invoice.refunded",
      "entitlement.revoked",
    ]);
    const [finalized, paid, granted, refunded, revoked] = delivered;
    const invoiceOf = { id: bought.invoiceId, object: "invoice", customerExternalId: "buyer-1" };
    expect(finalized.data).toMatchObject({
      ...invoiceOf,
      number: "TEST-INV-000001",
      purpose: "purchase",
      purchaseId: bought.id,
      subscriptionId: null,
      status: "open",
      subtotal: "99.00",
      creditApplied: "0.00",
      total: "99.00",
      lines: [{ amount: "99.00", kind: "purchase" }],
    });
    expect(paid.data).toMatchObject({ ...invoiceOf, status: "paid", paymentId: expect.any(String) });
    const entitlement = {
      object: "entitlement",
      customerExternalId: "buyer-1",
      productId: product.id,
      priceId: price.id,
      source: "purchase",
      sourceId: bought.id,
    };
    expect(granted.data).toEqual(entitlement);
    expect(granted.sequence).toBe(paid.sequence);
    expect(refunded.data).toMatchObject({
      ...invoiceOf,
      refundedAmount: "99.00",
      refund: { amount: "99.00" },
    });
    expect(revoked.data).toEqual(entitlement);
    expect(revoked.sequence).toBe(refunded.sequence);

    // The feed streams the same events, among the rest of the purchase's, once the refund is paid out.
    const feed = await waitFor(async () => {
      const all = await feedEvents(server.url, key);
      return all.some((e) => e.type === "payment.refunded") && all;
    });
    for (const event of feed) expectValid(event);
    const subscribed = new Set(delivered.map((e) => e.type));
    expect(feed.filter((e) => subscribed.has(e.type))).toEqual(delivered);
    expect(feed.map((e) => e.type)).toEqual([
      "customer.created",
      "purchase.created",
      "invoice.finalized",
      "payment.succeeded",
      "invoice.paid",
      "purchase.paid",
      "entitlement.granted",
      "invoice.refunded",
      "purchase.refunded",
      "entitlement.revoked",
      "payment.refunded",
    ]);
    const byType = new Map(feed.map((e) => [e.type, e]));
    expect(byType.get("payment.succeeded").data).toMatchObject({
      object: "payment",
      id: paid.data.paymentId,
      invoiceId: bought.invoiceId,
      customerExternalId: "buyer-1",
      channel: "wechat_native",
      amount: "99.00",
      status: "succeeded",
      transactionId: expect.any(String),
      channelFee: expect.any(String),
    });
    expect(byType.get("payment.refunded").data).toMatchObject({
      status: "refunded",
      refundedAmount: "99.00",
      refund: { amount: "99.00", reason: "changed my mind" },
    });
    expect(byType.get("purchase.refunded").data).toMatchObject({ id: bought.id, status: "refunded" });
  });

  it("a subscription through a test clock: created, activated, renewed, canceled, with its entitlement", async () => {
    const { key, client, hook, secret } = await merchantWithEndpoint("Subscription events", [
      "subscription.created",
      "subscription.updated",
      "subscription.canceled",
      "entitlement.granted",
      "entitlement.revoked",
    ]);
    const product = await client.products.create({ name: "AI Studio", nameZh: "AI 工作室" });
    const price = await client.prices.create({
      productId: product.id,
      type: "recurring",
      interval: "month",
      unitAmount: "149.00",
    });
    const start = Date.parse("2026-01-15T10:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "sub-1", testClockId: clock.id });

    const created = await client.subscriptions.create({ customerExternalId: "sub-1", priceId: price.id });
    await payInvoice(client, created.latestInvoiceId!);
    const firstEnd = monthlyPeriodEnd(start, 0);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(firstEnd + 1000) });
    await payInvoice(client, (await client.subscriptions.retrieve(created.id)).latestInvoiceId!);
    await client.subscriptions.cancel(created.id, { at: "period_end" });
    await client.testClocks.advance(clock.id, { frozenTime: new Date(monthlyPeriodEnd(start, 1) + day) });
    expect((await client.subscriptions.retrieve(created.id)).status).toBe("canceled");

    const expected = [
      ["subscription.created", "created"],
      ["subscription.updated", "activated"],
      ["entitlement.granted", undefined],
      ["subscription.updated", "renewed"],
      ["subscription.updated", "invoice_paid"],
      ["subscription.updated", "cancel_scheduled"],
      ["subscription.canceled", "canceled"],
      ["entitlement.revoked", undefined],
    ];
    await waitFor(() => hook.received.length >= expected.length);
    for (const r of hook.received) {
      expect(signatureValid(secret, r), r.event.type).toBe(true);
      expectValid(r.event);
    }
    const delivered = inLedgerOrder(hook.received.map((r) => r.event));
    expect(delivered.map((e) => [e.type, e.data.change])).toEqual(expected);

    const [first, activated, granted, renewed, , , canceled, revoked] = delivered;
    const subscriptionOf = {
      object: "subscription",
      id: created.id,
      customerExternalId: "sub-1",
      productId: product.id,
      priceId: price.id,
    };
    expect(first.data).toMatchObject({
      ...subscriptionOf,
      status: "incomplete",
      currentPeriodStart: new Date(start).toISOString(),
      currentPeriodEnd: new Date(firstEnd).toISOString(),
      latestInvoiceId: created.latestInvoiceId,
    });
    expect(activated.data).toMatchObject({ ...subscriptionOf, status: "active" });
    expect(renewed.data).toMatchObject({
      ...subscriptionOf,
      status: "active",
      currentPeriodStart: new Date(firstEnd).toISOString(),
      currentPeriodEnd: new Date(monthlyPeriodEnd(start, 1)).toISOString(),
    });
    expect(canceled.data).toMatchObject({ ...subscriptionOf, status: "canceled", cancelReason: "requested" });
    const entitlement = {
      object: "entitlement",
      customerExternalId: "sub-1",
      productId: product.id,
      priceId: price.id,
      source: "subscription",
      sourceId: created.id,
    };
    expect(granted.data).toEqual(entitlement);
    expect(revoked.data).toEqual(entitlement);

    const feed = await feedEvents(server.url, key);
    for (const event of feed) expectValid(event);
    const subscribed = new Set(expected.map(([type]) => type));
    expect(feed.filter((e) => subscribed.has(e.type))).toEqual(delivered);
    expect(feed.filter((e) => e.type.startsWith("invoice.")).map((e) => e.type)).toEqual([
      "invoice.finalized",
      "invoice.paid",
      "invoice.finalized",
      "invoice.paid",
    ]);
  });

  it("expiry, failed payments, a scheduled downgrade and dunning: every event matches its published schema", async () => {
    const key = (await server.admin.merchants.create({ name: "Unhappy paths" })).apiKeys.test;
    const client = new BuffMoneyClient({ apiKey: key, baseUrl: server.url, maxRetries: 0 });
    const product = await client.products.create({ name: "AI Studio", nameZh: "AI 工作室" });
    const recurring = { productId: product.id, type: "recurring", interval: "month" } as const;
    const standard = await client.prices.create({ ...recurring, unitAmount: "149.00" });
    const pro = await client.prices.create({ ...recurring, unitAmount: "299.00" });
    const once = await client.prices.create({ productId: product.id, type: "one_time", unitAmount: "99.00" });
    const start = Date.parse("2026-05-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    for (const externalId of ["never", "lapsing", "buyer"]) {
      await client.customers.create({ externalId, testClockId: clock.id });
    }
    const never = await client.subscriptions.create({ customerExternalId: "never", priceId: standard.id });
    const lapsing = await client.subscriptions.create({ customerExternalId: "lapsing", priceId: pro.id });
    await payInvoice(client, lapsing.latestInvoiceId!);
    await client.subscriptions.changePlan(lapsing.id, { priceId: standard.id });
    const unpaid = await client.purchases.create({ customerExternalId: "buyer", priceId: once.id });
    await client.invoices.pay(unpaid.invoiceId, { channel: "wechat_native" });
    await client.sandbox.simulatePayment(unpaid.invoiceId, { outcome: "failed" });

    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 2 * day) });
    await client.testClocks.advance(clock.id, {
      frozenTime: new Date(monthlyPeriodEnd(start, 0) + 20 * day),
    });
    expect((await client.subscriptions.retrieve(lapsing.id)).status).toBe("canceled");

    const feed = await feedEvents(server.url, key);
    for (const event of feed) expectValid(event);
    const about = (id: string) =>
      feed.filter((e) => e.data.id === id || e.data.sourceId === id).map((e) => e.data.change ?? e.type);
    expect(about(never.id)).toEqual(["created", "canceled"]);
    expect(about(lapsing.id)).toEqual([
      "created",
      "activated",
      "entitlement.granted",
      "price_changed",
      "renewed",
      "past_due",
      "canceled",
      "entitlement.revoked",
    ]);
    expect(about(unpaid.id)).toEqual(["purchase.created", "purchase.canceled"]);
    expect(about(never.latestInvoiceId!)).toEqual(["invoice.finalized", "invoice.voided"]);
    expect(about(unpaid.invoiceId)).toEqual(["invoice.finalized", "invoice.voided"]);
    const failed = feed.find((e) => e.type === "payment.failed");
    expect(failed.data).toMatchObject({ invoiceId: unpaid.invoiceId, status: "failed", channelFee: null });
    const renewal = feed.find((e) => e.type === "invoice.marked_uncollectible");
    expect(renewal.data).toMatchObject({
      subscriptionId: lapsing.id,
      total: "149.00",
      status: "uncollectible",
    });
    const renewed = feed.find((e) => e.data.change === "renewed");
    expect(renewed.data).toMatchObject({ priceId: standard.id, pendingChange: null });
  });
});
