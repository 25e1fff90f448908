import BuffMoneyClient, { type TopUp } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, startTestServer } from "./support/server.js";

/**
 * A payment whose callback never arrives is still credited, with no call from anyone: reconcile
 * timers query the channel while the order waits, and the expiry asks the channel before closing.
 */
type TestServer = Awaited<ReturnType<typeof startTestServer>>;

let auto: TestServer;
let expiryOnly: TestServer;

beforeAll(async () => {
  [auto, expiryOnly] = await Promise.all([
    // The first query 300 ms after the order, then 600 ms later, … (the sweeper runs every 250 ms).
    startTestServer({ collect: true, collection: { reconcileAfterMs: 300 } }),
    // No reconcile timers and no running sweeper: only the expiry, fired by advancing the sweep's clock.
    startTestServer({ collect: true, startTimers: false, collection: { reconcileAfterMs: 0 } }),
  ]);
});

afterAll(async () => {
  await Promise.all([auto.remove(), expiryOnly.remove()]);
});

async function merchantOn(server: TestServer, name: string) {
  const created = await server.admin.merchants.create({ name });
  const client = new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
  await client.customers.create({ externalId: "buyer" });
  return client;
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 8_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The buyer pays at the simulator; the callback is held (never sent) or lost on every send. */
async function payWithoutCallback(server: TestServer, top: TopUp, callback: Record<string, unknown>) {
  const provider = top.channel.startsWith("wechat_") ? "wechatpay" : "alipay";
  if (top.action?.type === "alipay_form") await (await fetch(top.action.url)).text();
  const response = await fetch(`${server.url}/sandbox/${provider}/__sim/orders/${top.paymentId}/pay`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ callback }),
  });
  expect(response.status).toBe(200);
}

/** The reconcile timers of one payment still in the index, as their attempt numbers. */
async function reconcileAttempts(server: TestServer, paymentId: string): Promise<number[]> {
  const attempts: number[] = [];
  for await (const [key, value] of server.runtime.log.db.iterator({ gte: "x!pt!", lt: "x!pt!~" })) {
    if (key.endsWith(`!${paymentId}!reconcile`))
      attempts.push((JSON.parse(value) as { attempt: number }).attempt);
  }
  return attempts;
}

describe("a payment whose callback never comes", () => {
  it("is credited by the reconcile timer; the callback released afterwards is a duplicate", async () => {
    const client = await merchantOn(auto, "Held callback");
    const top = await client.wallets.topUp("buyer", { amount: "20.00", channel: "wechat_native" });
    expect(await reconcileAttempts(auto, top.paymentId)).toEqual([1]);
    await payWithoutCallback(auto, top, { hold: true });

    const paid = await waitFor(
      () => client.invoices.retrieve(top.invoiceId),
      (invoice) => invoice.status === "paid",
    );
    expect(paid.payment).toMatchObject({ status: "succeeded", netAmount: "19.68" });
    expect((await client.wallets.retrieve("buyer")).balance).toBe("20.00");
    await waitFor(
      () => reconcileAttempts(auto, top.paymentId),
      (attempts) => attempts.length === 0,
    );

    await fetch(`${auto.url}/sandbox/wechatpay/__sim/callbacks/release`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ order: "fifo" }),
    });
    await auto.collection?.simulators.wechatpay.delivery.idle();
    expect((await client.wallets.retrieve("buyer")).balance).toBe("20.00");
    expect((await client.wallets.transactions("buyer")).data.map((t) => t.type)).toEqual(["top_up"]);
  });

  it("is asked about again at doubling intervals while unpaid (the timer moves durably), then credited once", async () => {
    const client = await merchantOn(auto, "Slow buyer");
    const top = await client.wallets.topUp("buyer", { amount: "7.50", channel: "alipay_wap" });
    // The first query found it unpaid and set the second.
    await waitFor(
      () => reconcileAttempts(auto, top.paymentId),
      (attempts) => attempts[0] === 2,
    );
    expect((await client.invoices.retrieve(top.invoiceId)).status).toBe("open");

    // Every send of the callback is lost on the way.
    await payWithoutCallback(auto, top, { dropAttempts: 20 });
    await waitFor(
      () => client.invoices.retrieve(top.invoiceId),
      (invoice) => invoice.status === "paid",
    );
    expect((await client.wallets.retrieve("buyer")).balance).toBe("7.50");
    // The query that found it paid removes its timer just after the credit is durable.
    await waitFor(
      () => reconcileAttempts(auto, top.paymentId),
      (attempts) => attempts.length === 0,
    );
  });

  it("paid another amount, is held and closed by the reconcile timer, which then stops", async () => {
    const client = await merchantOn(auto, "Held wrong amount");
    const top = await client.wallets.topUp("buyer", { amount: "9.00", channel: "wechat_native" });
    const response = await fetch(`${auto.url}/sandbox/wechatpay/__sim/orders/${top.paymentId}/pay`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ amountFen: 899, callback: { hold: true } }),
    });
    expect(response.status).toBe(200);

    const closed = await waitFor(
      () => client.invoices.retrieve(top.invoiceId),
      (invoice) => invoice.payment?.status === "closed",
    );
    expect(closed.payment).toMatchObject({ failure: { code: "amount_mismatch" }, unappliedAmount: "8.99" });
    expect((await client.wallets.retrieve("buyer")).balance).toBe("0.00");
    await waitFor(
      () => reconcileAttempts(auto, top.paymentId),
      (attempts) => attempts.length === 0,
    );
  });

  it("is credited when its order expires: the channel is asked before the order is closed", async () => {
    const client = await merchantOn(expiryOnly, "Expiry asks first");
    const top = await client.wallets.topUp("buyer", { amount: "33.00", channel: "wechat_native" });
    expect(await reconcileAttempts(expiryOnly, top.paymentId)).toEqual([]);
    await payWithoutCallback(expiryOnly, top, { hold: true });

    await expiryOnly.runtime.timers.sweep(Date.parse(top.expiresAt) + 1);
    const invoice = await client.invoices.retrieve(top.invoiceId);
    expect(invoice).toMatchObject({ status: "paid", payment: { status: "succeeded", failure: null } });
    expect((await client.wallets.retrieve("buyer")).balance).toBe("33.00");
    const order = (await (
      await fetch(`${expiryOnly.url}/sandbox/wechatpay/__sim/orders/${top.paymentId}`)
    ).json()) as { state: string };
    expect(order.state).toBe("SUCCESS");

    // Firing again (a restart that found the timer) changes nothing.
    await expiryOnly.runtime.timers.sweep(Date.parse(top.expiresAt) + 2);
    expect((await client.wallets.transactions("buyer")).data).toHaveLength(1);
  });
});

describe("a refund whose callback never comes", () => {
  it("is asked about again until the channel says it succeeded; nothing is left pending", async () => {
    const client = await merchantOn(auto, "Lost refund notify");
    const top = await client.wallets.topUp("buyer", { amount: "10.00", channel: "wechat_native" });
    await client.sandbox.simulatePayment(top.invoiceId, { outcome: "succeeded" });
    const faults = (body: unknown) =>
      fetch(`${auto.url}/sandbox/wechatpay/__sim/faults`, {
        method: body === null ? "DELETE" : "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}` },
        ...(body === null ? {} : { body: JSON.stringify(body) }),
      });
    // The channel settles the refund, and its callback is held: never sent.
    expect((await faults({ callbacks: { hold: true } })).status).toBe(200);
    try {
      const refund = await client.refunds.create({ invoiceId: top.invoiceId, amount: "4.00" });
      expect(refund.status).toBe("pending");
      const settled = await waitFor(
        async () => (await client.invoices.retrieve(top.invoiceId)).refunds.find((r) => r.id === refund.id),
        (current) => current?.status !== "pending",
      );
      expect(settled?.status).toBe("succeeded");
      expect((await client.wallets.retrieve("buyer")).balance).toBe("6.00");
    } finally {
      await faults(null);
    }
  });
});
