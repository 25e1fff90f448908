import BuffMoneyClient from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonClient } from "./support/http.js";
import { adminToken, startTestServer } from "./support/server.js";

/**
 * The inspector's JSON route over real HTTP: a sandbox wallet granted and frozen is read back as
 * its machine, its state and the transitions replayed from the log; keys see only their own
 * merchant and environment, and a live key needs the admin token too.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let keys: { test: string; live: string };
let customerId: string;

beforeAll(async () => {
  server = await startTestServer({ collect: true, startTimers: false });
  keys = (await server.admin.merchants.create({ name: "Inspector" })).apiKeys;
  const client = new BuffMoneyClient({ apiKey: keys.test, baseUrl: server.url, maxRetries: 0 });
  customerId = (await client.customers.create({ externalId: "user_1" })).id;
  await client.wallets.grant("user_1", { amount: "5.00", reason: "welcome" });
  await client.wallets.freeze("user_1", { reason: "chargeback review" });
});

afterAll(async () => {
  await server?.remove();
});

const inspect = (key: string, entity: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/v1/inspector/entities/${encodeURIComponent(entity)}`, {
    headers: { Authorization: `Bearer ${key}`, ...headers },
  });

describe("GET /v1/inspector/entities/{entity}", () => {
  it("returns the wallet's machine, its state with bigints as strings, and its transitions", async () => {
    const { status, body } = await jsonClient(server.url, keys.test).get(
      `/v1/inspector/entities/wallet:${customerId}`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      entity: `wallet:${customerId}`,
      kind: "wallet",
      environment: "test",
      customerExternalId: "user_1",
      state: { value: "frozen", context: { balanceMicros: "5000000", reservedMicros: "0" } },
      recordsReplayed: 2,
    });
    const states = body.machine.states as Array<{ id: string; transitions: unknown[] }>;
    expect(states.map((s) => s.id)).toEqual(["wallet", "wallet.active", "wallet.frozen"]);
    expect(body.machine.root).toBe("wallet");
    const active = states.find((s) => s.id === "wallet.active");
    expect(active?.transitions).toContainEqual({
      event: "wallet.freeze",
      guard: null,
      targets: ["wallet.frozen"],
      actions: [],
    });
    expect(active?.transitions).toContainEqual({
      event: "wallet.reserve",
      guard: "not(hasReservationRoom)",
      targets: [],
      actions: ["reject(reservations_limit_reached)"],
    });
    const root = states.find((s) => s.id === "wallet");
    expect(root?.transitions).toContainEqual(
      expect.objectContaining({
        event: "wallet.expire",
        guard: "and(isReservationHeld, hasReservationExpired)",
      }),
    );

    const [grant, freeze] = body.transitions as Array<Record<string, unknown>>;
    expect(grant).toMatchObject({
      part: null,
      command: { type: "wallet.grant", amountMicros: "5000000", reason: "welcome" },
      fact: { type: "wallet.granted" },
      from: "active",
      to: "active",
      taken: [{ source: "wallet", targets: [] }],
    });
    expect((grant?.postings as unknown[]).length).toBeGreaterThan(0);
    expect(freeze).toMatchObject({
      command: { type: "wallet.freeze" },
      fact: { type: "wallet.frozen" },
      from: "active",
      to: "frozen",
      taken: [{ source: "wallet.active", targets: ["wallet.frozen"] }],
    });
    expect(Number(freeze?.seq)).toBeGreaterThan(Number(grant?.seq));
    expect(body.lastSeq).toBe(freeze?.seq);
  });

  it("takes a multi-entity record apart: an invoice opened by a top-up shows only its own part", async () => {
    const client = new BuffMoneyClient({ apiKey: keys.test, baseUrl: server.url, maxRetries: 0 });
    await client.wallets.unfreeze("user_1");
    const top = await client.wallets.topUp("user_1", { amount: "10.00", channel: "wechat_native" });
    const { status, body } = await jsonClient(server.url, keys.test).get(
      `/v1/inspector/entities/invoice:${top.invoiceId}`,
    );
    expect(status).toBe(200);
    expect(body.state.value).toBe("open");
    expect(body.state.context.amountFen).toBe("1000");
    expect(body.transitions[0]).toMatchObject({
      command: { type: "invoice.open" },
      from: "new",
      to: "open",
      taken: [{ source: "invoice.new", targets: ["invoice.open"] }],
    });
    expect(typeof body.transitions[0].part).toBe("number");
  });

  it("shows a subscription's statechart and its transitions, from incomplete to active", async () => {
    const client = new BuffMoneyClient({ apiKey: keys.test, baseUrl: server.url, maxRetries: 0 });
    const product = await client.products.create({ name: "Inspected" });
    const price = await client.prices.create({
      productId: product.id,
      type: "recurring",
      unitAmount: "149.00",
    });
    await client.customers.create({ externalId: "sub_user" });
    const sub = await client.subscriptions.create({ customerExternalId: "sub_user", priceId: price.id });
    await client.invoices.pay(sub.latestInvoiceId!, { channel: "wechat_native" });
    await client.sandbox.simulatePayment(sub.latestInvoiceId!, { outcome: "succeeded" });
    const { status, body } = await jsonClient(server.url, keys.test).get(
      `/v1/inspector/entities/subscription:${sub.id}`,
    );
    expect(status).toBe(200);
    expect(body.kind).toBe("subscription");
    expect(body.state.value).toBe("active");
    expect(body.machine.states.map((state: { id: string }) => state.id)).toEqual(
      expect.arrayContaining(["subscription.incomplete", "subscription.active", "subscription.past_due"]),
    );
    expect(body.transitions.map((t: { from: string; to: string }) => `${t.from}>${t.to}`)).toEqual([
      "new>incomplete",
      "incomplete>active",
    ]);
  });

  it("refuses a live key without the admin token, and serves it with the token", async () => {
    const live = new BuffMoneyClient({ apiKey: keys.live, baseUrl: server.url, maxRetries: 0 });
    const liveCustomer = await live.customers.create({ externalId: "user_live" });
    const refused = await inspect(keys.live, `wallet:${liveCustomer.id}`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "forbidden" });
    const wrong = await inspect(keys.live, `wallet:${liveCustomer.id}`, { "X-Admin-Token": "nope" });
    expect(wrong.status).toBe(403);
    const allowed = await inspect(keys.live, `wallet:${liveCustomer.id}`, { "X-Admin-Token": adminToken });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({
      environment: "live",
      state: { value: "active" },
      recordsReplayed: 0,
      transitions: [],
    });
  });

  it("shows no entity of another merchant or environment, and rejects a malformed one", async () => {
    const other = (await server.admin.merchants.create({ name: "Other" })).apiKeys.test;
    expect((await inspect(other, `wallet:${customerId}`)).status).toBe(404);
    const live = await inspect(keys.live, `wallet:${customerId}`, { "X-Admin-Token": adminToken });
    expect(live.status).toBe(404);
    expect((await inspect(keys.test, "wallet:cus_nobody")).status).toBe(404);
    expect((await inspect(keys.test, "ledger:everything")).status).toBe(400);
    expect((await inspect("bm_test_wrong", `wallet:${customerId}`)).status).toBe(401);
  });

  it("serves the page without credentials: it signs in in the browser", async () => {
    const response = await fetch(`${server.url}/inspector`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain("State-machine inspector");
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/);
  });
});
