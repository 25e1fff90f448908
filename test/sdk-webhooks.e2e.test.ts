import BuffMoneyClient, { verifyWebhook, WebhookVerificationError, type FeedEvent } from "@buffmoney/sdk";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "./support/server.js";

interface Delivery {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A receiver that keeps each delivery's raw bytes and headers, as a merchant's handler gets them. */
async function receiver() {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("the SDK's webhooks: endpoints, deliveries and verifyWebhook on real deliveries", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let client: BuffMoneyClient;
  let endpointId: string;
  let secret: string;
  let delivery: Delivery;

  beforeAll(async () => {
    server = await startTestServer();
    hook = await receiver();
    const { apiKeys } = await server.admin.merchants.create({ name: "Hooked" });
    client = new BuffMoneyClient({ apiKey: apiKeys.test, baseUrl: server.url });
    const endpoint = await client.webhookEndpoints.create({
      url: hook.url,
      eventTypes: ["customer.created"],
    });
    ({ id: endpointId, secret } = endpoint);
    await client.customers.create({ externalId: "hook-1", name: "韩梅梅" });
    while (hook.deliveries.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    delivery = hook.deliveries[0] as Delivery;
  });
  afterAll(async () => {
    await hook.close();
    await server.remove();
  });

  it("answers the event of a genuine delivery, from bytes or text, Node headers or a Headers", async () => {
    const event: FeedEvent = await verifyWebhook({
      payload: delivery.body,
      headers: delivery.headers,
      secret,
    });
    expect(event).toMatchObject({ type: "customer.created", data: { externalId: "hook-1", name: "韩梅梅" } });
    const headers = new Headers();
    for (const [name, value] of Object.entries(delivery.headers))
      if (typeof value === "string") headers.set(name, value);
    const again = await verifyWebhook({
      payload: delivery.body.toString("utf8"),
      headers,
      secret: ["whsec_" + Buffer.alloc(24, 1).toString("base64"), secret],
    });
    expect(again.id).toBe(event.id);
  });

  it("refuses a changed body, another secret, a stale timestamp and missing headers", async () => {
    const refused = (params: Parameters<typeof verifyWebhook>[0]) =>
      verifyWebhook(params).then(
        () => "accepted",
        (error: unknown) => (error instanceof WebhookVerificationError ? error.message : String(error)),
      );
    const changed = Buffer.from(delivery.body.toString("utf8").replace("hook-1", "hook-2"));
    expect(await refused({ payload: changed, headers: delivery.headers, secret })).toMatch(
      /no webhook-signature/,
    );
    const other = "whsec_" + Buffer.alloc(24, 7).toString("base64");
    expect(await refused({ payload: delivery.body, headers: delivery.headers, secret: other })).toMatch(
      /no webhook-signature/,
    );
    const later = (Number(delivery.headers["webhook-timestamp"]) + 301) * 1000;
    expect(await refused({ payload: delivery.body, headers: delivery.headers, secret, now: later })).toMatch(
      /more than 300 s/,
    );
    const { "webhook-signature": _signature, ...unsigned } = delivery.headers;
    expect(await refused({ payload: delivery.body, headers: unsigned, secret })).toMatch(/missing/);
  });

  it("manages the endpoint and reads its deliveries", async () => {
    const endpoints = client.webhookEndpoints;
    expect((await endpoints.list()).data.map((e) => e.id)).toEqual([endpointId]);
    expect(await endpoints.retrieve(endpointId)).toMatchObject({ url: hook.url, status: "enabled" });

    const page = await endpoints.deliveries(endpointId, { status: "succeeded" });
    const summary = page.data[0];
    expect(summary).toMatchObject({ endpointId, eventType: "customer.created", status: "succeeded" });
    if (!summary) throw new Error("no delivery");
    const full = await endpoints.delivery(summary.id);
    expect(full.attempts[0]).toMatchObject({ statusCode: 200, responseExcerpt: "ok" });
    expect((await endpoints.deliveryEvent(summary.id)).id).toBe(summary.eventId);
    expect(await endpoints.health(endpointId)).toMatchObject({ consecutiveFailures: 0 });

    // Rotation: a new secret, and the old one still signs beside it for the overlap.
    const rotated = await endpoints.rotateSecret(endpointId);
    expect(rotated.secret).not.toBe(secret);
    expect((await endpoints.disable(endpointId)).status).toBe("disabled");
    expect((await endpoints.enable(endpointId)).status).toBe("enabled");
    const replayed = await endpoints.replay(endpointId, { eventTypes: ["customer.created"] });
    expect(replayed).toMatchObject({ object: "webhook_replay", deliveries: 1, hasMore: false });
    while (hook.deliveries.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    const resent = hook.deliveries[1] as Delivery;
    for (const key of [rotated.secret, secret]) {
      const event = await verifyWebhook({ payload: resent.body, headers: resent.headers, secret: key });
      expect(event.id).toBe(summary.eventId);
    }
    const all = [];
    for await (const d of endpoints.allDeliveries(endpointId, { pageSize: 1 })) all.push(d.id);
    expect(all).toHaveLength(2);
    expect((await endpoints.retryDelivery(summary.id)).id).toBe(summary.id);
  });

  it("updates an endpoint's URL and types, and deletes endpoints to make room under the limit", async () => {
    const { apiKeys } = await server.admin.merchants.create({ name: "Many hooks" });
    const own = new BuffMoneyClient({ apiKey: apiKeys.test, baseUrl: server.url, maxRetries: 0 });
    const other = await receiver();
    try {
      const first = await own.webhookEndpoints.create({ url: other.url, eventTypes: ["wallet.granted"] });
      const updated = await own.webhookEndpoints.update(first.id, {
        url: hook.url.replace("/hooks", "/moved"),
        eventTypes: ["customer.created"],
        description: "moved",
      });
      expect(updated).toMatchObject({
        url: hook.url.replace("/hooks", "/moved"),
        eventTypes: ["customer.created"],
      });
      expect(await own.webhookEndpoints.retrieve(first.id)).toEqual(updated);
      // The secret stayed: deliveries to the new URL verify with the one shown at creation.
      const before = hook.deliveries.length;
      await own.customers.create({ externalId: "moved-1" });
      while (hook.deliveries.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
      const moved = hook.deliveries[before] as Delivery;
      const event = await verifyWebhook({
        payload: moved.body,
        headers: moved.headers,
        secret: first.secret,
      });
      expect(event.type).toBe("customer.created");
      expect(other.deliveries).toHaveLength(0);

      const ids = [first.id];
      while (ids.length < 16)
        ids.push((await own.webhookEndpoints.create({ url: other.url, eventTypes: ["*"] })).id);
      const refused = await own.webhookEndpoints
        .create({ url: other.url, eventTypes: ["*"] })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: "webhook_endpoints_limit_reached", status: 409 });

      expect(await own.webhookEndpoints.del(first.id)).toEqual({
        id: first.id,
        object: "webhook_endpoint",
        deleted: true,
      });
      expect(await own.webhookEndpoints.retrieve(first.id).catch((error: unknown) => error)).toMatchObject({
        code: "webhook_endpoint_not_found",
      });
      expect((await own.webhookEndpoints.list()).data.map((e) => e.id)).not.toContain(first.id);
      await own.webhookEndpoints.create({ url: other.url, eventTypes: ["*"] });

      // Nothing more goes to a deleted endpoint.
      const sent = hook.deliveries.length;
      await own.customers.create({ externalId: "moved-2" });
      while (other.deliveries.length < 16) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(hook.deliveries.length).toBe(sent);
    } finally {
      await other.close();
    }
  });
});
