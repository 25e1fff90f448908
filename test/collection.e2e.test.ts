import BuffMoneyClient, {
  BuffMoneyError,
  type CollectionChannel,
  type Invoice,
  type TopUp,
} from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alipay } from "../channels/index.js";
import { signSha256WithRsa, toPrivateKey } from "../channels/rsa.js";
import { adminToken, startTestServer } from "./support/server.js";

let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer({ collect: true });
});

afterAll(async () => {
  await server.remove();
});

const channels = ["wechat_native", "wechat_jsapi", "wechat_h5", "alipay_page", "alipay_wap"] as const;

async function merchant(name: string) {
  const created = await server.admin.merchants.create({ name });
  const client = new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
  return { id: created.id, client, test: created.apiKeys.test, live: created.apiKeys.live };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "none";
  } catch (error) {
    if (error instanceof BuffMoneyError) return error.code;
    throw error;
  }
}

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const providerOf = (channel: CollectionChannel) => (channel.startsWith("wechat_") ? "wechatpay" : "alipay");

/** The simulator's control API, as the tests drive the buyer and the channel directly. */
async function control(provider: "wechatpay" | "alipay", path: string, body: unknown = {}) {
  const response = await fetch(`${server.url}/sandbox/${provider}/__sim${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The buyer pays at the simulator (an Alipay page trade exists once the browser reaches the cashier). */
async function pay(top: TopUp, callback: Record<string, unknown> = {}) {
  const provider = providerOf(top.channel);
  if (top.action?.type === "alipay_form") await (await fetch(top.action.url)).text();
  const jsapi = top.action?.type === "jsapi" ? { jsapi: top.action.payParams } : {};
  const paid = await control(provider, `/orders/${top.paymentId}/pay`, { ...jsapi, callback });
  expect(paid.status).toBe(200);
}

async function callbacksDelivered() {
  const sims = server.collection?.simulators;
  await Promise.all([sims?.wechatpay.delivery.idle(), sims?.alipay.delivery.idle()]);
}

/** Ledger balances per account: a fold of every posting of the sandbox ledger. */
async function balances(): Promise<Map<string, bigint>> {
  const sums = new Map<string, bigint>();
  for await (const record of server.runtime.log.scan(1)) {
    for (const p of record.postings)
      sums.set(p.account, (sums.get(p.account) ?? 0n) + BigInt(p.amountMicros));
  }
  return sums;
}

const yuan = (micros: bigint | undefined) => Number(micros ?? 0n) / 1_000_000;

const invoiceOf = (client: BuffMoneyClient, id: string) => client.invoices.retrieve(id);

describe("top-ups through each channel (sandbox)", () => {
  it.each(channels)(
    "%s: paid at the simulator, credited through the signed callback, fees posted, payable = G − C − P",
    async (channel) => {
      const { id, client } = await merchant(`Top-up ${channel}`);
      await client.customers.create({ externalId: "payer" });
      const top = await client.wallets.topUp("payer", {
        amount: "100.00",
        channel,
        ...(channel === "wechat_jsapi" ? { payerOpenId: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" } : {}),
        ...(channel.startsWith("alipay") ? { returnUrl: "https://merchant.example/done" } : {}),
      });
      expect(top).toMatchObject({
        object: "top_up",
        amount: "100.00",
        currency: "CNY",
        channel,
        status: "pending",
      });
      expect(top.checkoutUrl).toBe(`${server.url}/checkout/${top.invoiceId}`);
      const expectedAction = { wechat_native: "qr_code", wechat_jsapi: "jsapi", wechat_h5: "redirect" }[
        channel as string
      ];
      expect(top.action?.type).toBe(expectedAction ?? "alipay_form");

      const invoice = await client.sandbox.simulatePayment(top.invoiceId, { outcome: "succeeded" });
      expect(invoice).toMatchObject({
        status: "paid",
        amount: "100.00",
        payment: {
          status: "succeeded",
          channelFee: "0.60",
          platformFee: "1.00",
          netAmount: "98.40",
          refundedAmount: "0.00",
          flags: [],
        },
      });
      expect(invoice.payment?.transactionId).toMatch(/^\d{28}$/);
      // Its one line says what it bills, as subscription and purchase lines do.
      expect(invoice.lines).toEqual([
        {
          description: "Wallet top-up 钱包充值 ¥100.00",
          amount: "100.00",
          kind: "top_up",
          quantity: null,
          unitAmount: null,
        },
      ]);
      // A top-up's invoice exists, and has no PDF: 409, not "no such invoice".
      expect(await codeOf(client.invoices.pdf(top.invoiceId))).toBe("invoice_not_finalized");
      // Nor is it paid through the billing invoices' payments: its own checkout pays it.
      expect(await codeOf(client.invoices.pay(top.invoiceId, { channel: "wechat_native" }))).toBe(
        "invoice_not_open",
      );
      expect(await client.wallets.retrieve("payer")).toMatchObject({
        balance: "100.00",
        available: "100.00",
      });
      const history = await client.wallets.transactions("payer");
      expect(history.data.map((t) => [t.type, t.amount, t.balanceAfter])).toEqual([
        ["top_up", "100.00", "100.00"],
      ]);

      const sums = await balances();
      expect(yuan(sums.get(`test:merchant:${id}:payable`))).toBe(98.4);
      expect(yuan(sums.get(`test:merchant:${id}:prepaid_credit_sold`))).toBe(-100);
      const customer = await client.customers.retrieve("payer");
      expect(yuan(sums.get(`test:customer:${customer.id}:wallet_available`))).toBe(100);
    },
  );

  it("every record balances, and the platform and channel fee accounts hold the fees", async () => {
    const sums = await balances();
    let total = 0n;
    for (const amount of sums.values()) total += amount;
    expect(total).toBe(0n);
    expect(yuan(sums.get("test:platform:fees"))).toBeGreaterThanOrEqual(5);
    expect(yuan(sums.get("test:channel:wechatpay:fees"))).toBeGreaterThanOrEqual(1.8);
    expect(yuan(sums.get("test:channel:alipay:fees"))).toBeGreaterThanOrEqual(1.2);
  });

  it("the same Idempotency-Key returns the same top-up; limits and the environment are checked first", async () => {
    const { client, live } = await merchant("Idempotent");
    await client.customers.create({ externalId: "idem" });
    const first = await client.wallets.topUp(
      "idem",
      { amount: "5", channel: "wechat_native" },
      { idempotencyKey: "t-1" },
    );
    const again = await client.wallets.topUp(
      "idem",
      { amount: "5", channel: "wechat_native" },
      { idempotencyKey: "t-1" },
    );
    expect(again).toEqual(first);
    expect(await codeOf(client.wallets.topUp("idem", { amount: "0.001", channel: "wechat_native" }))).toBe(
      "invalid_amount",
    );
    expect(await codeOf(client.wallets.topUp("idem", { amount: "50000.01", channel: "alipay_page" }))).toBe(
      "invalid_amount",
    );
    expect(
      await codeOf(
        client.wallets.topUp("idem", { amount: "5", channel: "wechat_h5", clientIp: "not-an-ip" }),
      ),
    ).toBe("invalid_request");
    expect(await codeOf(client.wallets.topUp("idem", { amount: "5", channel: "wechat_jsapi" }))).toBe(
      "invalid_request",
    );
    const before = server.runtime.log.head.seq;
    const refused = client.wallets.topUp("idem", {
      amount: "5",
      channel: "alipay_page",
      returnUrl: "ftp://x.example",
    });
    expect(await codeOf(refused)).toBe("channel_limit_exceeded");
    expect(server.runtime.log.head.seq).toBe(before);
    const liveClient = new BuffMoneyClient({ apiKey: live, baseUrl: server.url, maxRetries: 0 });
    await liveClient.customers.create({ externalId: "idem" });
    expect(await codeOf(liveClient.wallets.topUp("idem", { amount: "5", channel: "wechat_native" }))).toBe(
      "channel_not_configured",
    );
    expect(await codeOf(liveClient.invoices.retrieve(first.invoiceId))).toBe("invoice_not_found");
    expect(await codeOf(liveClient.sandbox.simulatePayment(first.invoiceId, { outcome: "succeeded" }))).toBe(
      "sandbox_only",
    );
  });
});

/** A counter's value in the server's /metrics (0 before it is first counted). */
async function metric(series: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe("the simulators on a shared server", () => {
  it("take the admin token for operator routes (orders of every merchant, faults); an order's own routes stay its buyer's", async () => {
    const { client, test } = await merchant("Sim access");
    await client.customers.create({ externalId: "sim_buyer" });
    const top = await client.wallets.topUp("sim_buyer", { amount: "5.00", channel: "wechat_native" });
    const base = `${server.url}/sandbox/wechatpay/__sim`;
    const refusedGets =
      'buffmoney_http_requests_total{method="GET",route="/sandbox/wechatpay/*",status="401"}';
    const before = await metric(refusedGets);
    for (const headers of [{}, { Authorization: `Bearer ${test}` }]) {
      expect((await fetch(`${base}/orders`, { headers })).status).toBe(401);
      const faults = await fetch(`${base}/faults`, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify({ callbacks: { hold: true } }),
      });
      expect(faults.status).toBe(401);
    }
    // Logged and counted under their prefix with the status they were answered with, not as unmatched.
    expect((await metric(refusedGets)) - before).toBe(2);
    const listed = await fetch(`${base}/orders`, { headers: { Authorization: `Bearer ${adminToken}` } });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(await listed.json())).toContain(top.paymentId);
    // No fault was set: the buyer's payment is credited as usual.
    expect((await fetch(`${base}/orders/${top.paymentId}`)).status).toBe(200);
    await pay(top);
    await callbacksDelivered();
    expect((await client.wallets.retrieve("sim_buyer")).balance).toBe("5.00");
  });
});

describe("callbacks", () => {
  it("a duplicated and replayed callback credits once", async () => {
    const { client } = await merchant("Duplicates");
    await client.customers.create({ externalId: "dup" });
    for (const channel of ["wechat_native", "alipay_wap"] as const) {
      const top = await client.wallets.topUp("dup", { amount: "10.00", channel });
      await pay(top, { duplicates: 2, replay: true });
      await callbacksDelivered();
      expect((await invoiceOf(client, top.invoiceId)).status).toBe("paid");
    }
    expect((await client.wallets.retrieve("dup")).balance).toBe("20.00");
    const history = await client.wallets.transactions("dup");
    expect(history.data.map((t) => t.type)).toEqual(["top_up", "top_up"]);
  });

  it("reordered callbacks (Alipay's TRADE_FINISHED before TRADE_SUCCESS, two orders swapped) credit each order once", async () => {
    const { client } = await merchant("Reordered");
    await client.customers.create({ externalId: "late" });
    const first = await client.wallets.topUp("late", { amount: "30.00", channel: "alipay_page" });
    const second = await client.wallets.topUp("late", { amount: "20.00", channel: "alipay_page" });
    await pay(first, { hold: true });
    await pay(second, { hold: true });
    expect(
      (await control("alipay", `/orders/${first.paymentId}/finish`, { callback: { hold: true } })).status,
    ).toBe(200);
    await control("alipay", "/callbacks/release", { order: "reverse" });
    await callbacksDelivered();
    expect((await client.wallets.retrieve("late")).balance).toBe("50.00");
    expect((await invoiceOf(client, first.invoiceId)).payment?.status).toBe("succeeded");
    expect((await invoiceOf(client, second.invoiceId)).payment?.status).toBe("succeeded");
  });

  it("a missing callback is found by reconciling with the channel; when it finally comes it is a duplicate", async () => {
    const { client } = await merchant("Reconcile");
    await client.customers.create({ externalId: "quiet" });
    const top = await client.wallets.topUp("quiet", { amount: "8.00", channel: "wechat_h5" });
    await pay(top, { hold: true });
    await server.runtime.payments.reconcile(top.paymentId);
    expect((await client.wallets.retrieve("quiet")).balance).toBe("8.00");
    await control("wechatpay", "/callbacks/release", { order: "fifo" });
    await callbacksDelivered();
    expect((await client.wallets.retrieve("quiet")).balance).toBe("8.00");
  });

  it("an oversized callback is refused with 413 and its connection closed (its body is left unread)", async () => {
    const response = await fetch(`${server.url}/v1/channels/wechatpay/notify`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "x".repeat(2_000_000),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    await response.text();
    // The next request is served on a fresh connection.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("a forged callback (bad signature) changes nothing and gets the answer the channel expects", async () => {
    const { client } = await merchant("Forged");
    await client.customers.create({ externalId: "target" });
    const top = await client.wallets.topUp("target", { amount: "99.00", channel: "alipay_page" });
    const before = server.runtime.log.head.seq;
    const forgedAlipay = new URLSearchParams({
      notify_id: "forged",
      app_id: server.collection?.sandboxKeys.alipay.appId ?? "",
      out_trade_no: top.paymentId,
      trade_no: "2026010122001400000000000001",
      trade_status: "TRADE_SUCCESS",
      total_amount: "99.00",
      gmt_payment: "2026-01-01 10:00:00",
      sign_type: "RSA2",
      sign: Buffer.from("not a signature").toString("base64"),
    });
    const alipayAnswer = await fetch(`${server.url}/v1/channels/alipay/notify`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: forgedAlipay.toString(),
    });
    expect([alipayAnswer.status, await alipayAnswer.text()]).toEqual([400, "fail"]);
    const wechatAnswer = await fetch(`${server.url}/v1/channels/wechatpay/notify`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Wechatpay-Serial": server.collection?.sandboxKeys.wechatpay.platformSerial ?? "",
        "Wechatpay-Timestamp": String(Math.floor(Date.now() / 1000)),
        "Wechatpay-Nonce": "forgedforgedforgedforgedforged12",
        "Wechatpay-Signature": Buffer.from("x".repeat(256)).toString("base64"),
      },
      body: JSON.stringify({ id: "EV-forged", event_type: "TRANSACTION.SUCCESS", resource: {} }),
    });
    expect(wechatAnswer.status).toBe(401);
    expect(await wechatAnswer.json()).toEqual({ code: "FAIL", message: "失败" });
    expect(server.runtime.log.head.seq).toBe(before);
    expect((await invoiceOf(client, top.invoiceId)).status).toBe("open");

    // The simulator's own tampered first send is refused the same way; its genuine retry is credited once.
    await pay(top, { tamper: "bad_signature" });
    await callbacksDelivered();
    const attempts = (await (
      await fetch(`${server.url}/sandbox/alipay/__sim/callbacks`, {
        headers: { Authorization: `Bearer ${adminToken}` },
      })
    ).json()) as {
      attempts: Array<{ label: string; mode: string; status?: number; acknowledged: boolean }>;
    };
    const mine = attempts.attempts.filter((a) => a.label.endsWith(top.paymentId));
    expect(mine[0]).toMatchObject({ mode: "bad_signature", status: 400, acknowledged: false });
    expect(mine.some((a) => a.mode === "valid" && a.acknowledged)).toBe(true);
    expect((await client.wallets.retrieve("target")).balance).toBe("99.00");
  });

  it("a validly signed callback with the wrong amount is flagged, held as unapplied once, acknowledged, and credits nothing", async () => {
    const { id, client } = await merchant("Mismatch");
    await client.customers.create({ externalId: "odd" });
    const top = await client.wallets.topUp("odd", { amount: "100.00", channel: "alipay_wap" });
    const keys = server.collection?.sandboxKeys.alipay;
    if (!keys) throw new Error("no sandbox keys");
    const params: Record<string, string> = {
      notify_time: "2026-01-01 10:00:01",
      notify_type: "trade_status_sync",
      notify_id: "mismatch-1",
      app_id: keys.appId,
      charset: "utf-8",
      version: "1.0",
      sign_type: "RSA2",
      trade_no: "2026010122001400000000000002",
      out_trade_no: top.paymentId,
      seller_id: keys.sellerId,
      trade_status: "TRADE_SUCCESS",
      total_amount: "1.00",
      gmt_payment: "2026-01-01 10:00:00",
    };
    params.sign = signSha256WithRsa(
      toPrivateKey(keys.alipayPrivateKeyPem),
      alipay.alipaySignContent(params, alipay.notifySignExclusions),
    );
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(`${server.url}/v1/channels/alipay/notify`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(params).toString(),
      });
      expect([answer.status, await answer.text()]).toEqual([200, "success"]);
    }
    const invoice = await invoiceOf(client, top.invoiceId);
    // The order can no longer be paid right: closed, which ends its timers.
    expect(invoice).toMatchObject({
      status: "void",
      payment: { status: "closed", failure: { code: "amount_mismatch" }, unappliedAmount: "1.00" },
    });
    expect(invoice.payment?.flags).toEqual([
      expect.objectContaining({
        reason: "amount_mismatch",
        amount: "1.00",
        transactionId: params.trade_no,
        unapplied: true,
      }),
    ]);
    expect((await client.wallets.retrieve("odd")).balance).toBe("0.00");
    expect(yuan((await balances()).get(`test:merchant:${id}:unapplied_payments`))).toBe(1);
  });
});

describe("orders that end unpaid", () => {
  it("an order is closed at the channel when it expires (a durable timer), and the invoice is voided", async () => {
    const { client } = await merchant("Expiry");
    await client.customers.create({ externalId: "slow" });
    const top = await client.wallets.topUp("slow", { amount: "12.00", channel: "wechat_native" });
    await server.runtime.timers.sweep(Date.parse(top.expiresAt) + 1);
    const invoice = await invoiceOf(client, top.invoiceId);
    expect(invoice).toMatchObject({
      status: "void",
      voidReason: "expired",
      payment: { status: "closed", failure: { code: "expired" } },
    });
    const order = (await (
      await fetch(`${server.url}/sandbox/wechatpay/__sim/orders/${top.paymentId}`)
    ).json()) as {
      state: string;
    };
    expect(order.state).toBe("CLOSED");
    expect((await control("wechatpay", `/orders/${top.paymentId}/pay`)).status).toBe(409);
    const status = (await (await fetch(`${server.url}/checkout/${top.invoiceId}/status`)).json()) as {
      status: string;
    };
    expect(status.status).toBe("expired");
  });

  it("simulated expiry and failure end the order; the invoice cannot be paid any more", async () => {
    const { client } = await merchant("Outcomes");
    await client.customers.create({ externalId: "c" });
    const expired = await client.wallets.topUp("c", { amount: "3.00", channel: "alipay_page" });
    expect(await client.sandbox.simulatePayment(expired.invoiceId, { outcome: "expired" })).toMatchObject({
      status: "void",
      payment: { status: "closed", failure: { code: "expired" } },
    });
    const failed = await client.wallets.topUp("c", { amount: "4.00", channel: "wechat_native" });
    expect(await client.sandbox.simulatePayment(failed.invoiceId, { outcome: "failed" })).toMatchObject({
      status: "void",
      payment: { status: "failed" },
    });
    expect(await codeOf(client.sandbox.simulatePayment(failed.invoiceId, { outcome: "succeeded" }))).toBe(
      "invoice_not_open",
    );
    expect((await client.wallets.retrieve("c")).balance).toBe("0.00");
  });

  it("money that arrives after the order closed is recorded as paid after close: never lost, not credited, refundable", async () => {
    const { id, client } = await merchant("Late money");
    await client.customers.create({ externalId: "late" });
    const top = await client.wallets.topUp("late", { amount: "15.00", channel: "alipay_page" });
    await server.runtime.timers.sweep(Date.parse(top.expiresAt) + 1);
    expect((await invoiceOf(client, top.invoiceId)).payment?.status).toBe("closed");
    // The buyer had the cashier open all along and pays before Alipay's own time_expire.
    await pay(top);
    await callbacksDelivered();
    const invoice = await invoiceOf(client, top.invoiceId);
    expect(invoice).toMatchObject({
      status: "void",
      payment: { status: "paid_after_close", netAmount: null },
    });
    expect((await client.wallets.retrieve("late")).balance).toBe("0.00");
    expect(yuan((await balances()).get(`test:merchant:${id}:unapplied_payments`))).toBe(15);

    await client.refunds.create({ invoiceId: top.invoiceId, amount: "15.00", reason: "paid after close" });
    await waitFor(
      () => invoiceOf(client, top.invoiceId),
      (i) => i.payment?.status === "refunded",
    );
    expect(yuan((await balances()).get(`test:merchant:${id}:unapplied_payments`))).toBe(0);
  });
});

describe("refunds", () => {
  const settled = (invoiceId: string, client: BuffMoneyClient) =>
    waitFor(
      () => invoiceOf(client, invoiceId),
      (i: Invoice) => i.refunds.every((r) => r.status !== "pending"),
    );

  it("partial then full refund through WeChat Pay, each completed by the channel's refund notify", async () => {
    const { id, client } = await merchant("Refunds WeChat");
    await client.customers.create({ externalId: "r" });
    const top = await client.wallets.topUp("r", { amount: "100.00", channel: "wechat_native" });
    await client.sandbox.simulatePayment(top.invoiceId, { outcome: "succeeded" });

    const partial = await client.refunds.create(
      { invoiceId: top.invoiceId, amount: "30.00", reason: "unused credit" },
      { idempotencyKey: "refund-1" },
    );
    expect(partial).toMatchObject({
      object: "refund",
      amount: "30.00",
      status: "pending",
      reason: "unused credit",
    });
    const replayed = await client.refunds.create(
      { invoiceId: top.invoiceId, amount: "30.00", reason: "unused credit" },
      { idempotencyKey: "refund-1" },
    );
    expect(replayed).toEqual(partial);
    expect((await client.wallets.retrieve("r")).balance).toBe("70.00");
    let invoice = await settled(top.invoiceId, client);
    expect(invoice.refunds).toEqual([expect.objectContaining({ id: partial.id, status: "succeeded" })]);
    expect(invoice.payment).toMatchObject({
      status: "succeeded",
      refundedAmount: "30.00",
      refundingAmount: "0.00",
    });
    expect(yuan((await balances()).get(`test:merchant:${id}:payable`))).toBe(68.4);

    expect(await codeOf(client.refunds.create({ invoiceId: top.invoiceId, amount: "70.01" }))).toBe(
      "refund_exceeds_payment",
    );
    await client.refunds.create({ invoiceId: top.invoiceId, amount: "70.00" });
    invoice = await settled(top.invoiceId, client);
    expect(invoice.payment).toMatchObject({ status: "refunded", refundedAmount: "100.00" });
    expect((await client.wallets.retrieve("r")).balance).toBe("0.00");
    expect(yuan((await balances()).get(`test:merchant:${id}:payable`))).toBe(-1.6);
    const types = (await client.wallets.transactions("r")).data.map((t) => t.type);
    expect(types).toEqual(["top_up_refund", "top_up_refund", "top_up"]);
  });

  it("a refund through Alipay completes at once (fund_change Y); its notify is then a duplicate", async () => {
    const { client } = await merchant("Refunds Alipay");
    await client.customers.create({ externalId: "a" });
    const top = await client.wallets.topUp("a", { amount: "50.00", channel: "alipay_wap" });
    await client.sandbox.simulatePayment(top.invoiceId, { outcome: "succeeded" });
    await client.refunds.create({ invoiceId: top.invoiceId, amount: "20.00" });
    const invoice = await settled(top.invoiceId, client);
    await callbacksDelivered();
    expect(invoice.payment).toMatchObject({ status: "succeeded", refundedAmount: "20.00" });
    expect((await client.wallets.retrieve("a")).balance).toBe("30.00");
  });

  it("a refund that would take the wallet below zero is refused; one the channel refuses gives the credit back", async () => {
    const { client } = await merchant("Refunds spent");
    await client.customers.create({ externalId: "s" });
    const top = await client.wallets.topUp("s", { amount: "100.00", channel: "alipay_page" });
    await client.sandbox.simulatePayment(top.invoiceId, { outcome: "succeeded" });
    await client.wallets.debit("s", { amount: "80.00", description: "spent" });
    expect(await codeOf(client.refunds.create({ invoiceId: top.invoiceId, amount: "30.00" }))).toBe(
      "insufficient_balance",
    );
    expect((await client.wallets.retrieve("s")).balance).toBe("20.00");

    await control("alipay", "/faults", {
      api: [{ operation: "alipay.trade.refund", code: "ACQ.TRADE_NOT_ALLOW_REFUND" }],
    });
    const refused = await client.refunds.create({ invoiceId: top.invoiceId, amount: "20.00" });
    const invoice = await settled(top.invoiceId, client);
    expect(invoice.refunds).toEqual([expect.objectContaining({ id: refused.id, status: "failed" })]);
    expect(invoice.payment?.refundedAmount).toBe("0.00");
    expect((await client.wallets.retrieve("s")).balance).toBe("20.00");
    const types = (await client.wallets.transactions("s")).data.map((t) => t.type);
    expect(types.slice(0, 2)).toEqual(["refund_restored", "top_up_refund"]);
    expect(await codeOf(client.refunds.create({ invoiceId: "inv_unknown", amount: "1.00" }))).toBe(
      "invoice_not_found",
    );
  });
});

describe("a customer tops up ¥100 through a checkout page and spends it per event", () => {
  it("checkout page → simulated payment → status paid → usage events charged against the top-up", async () => {
    const { client } = await merchant("深度求索 Demo");
    await client.customers.create({ externalId: "user_42", name: "张三" });
    const top = await client.wallets.topUp("user_42", { amount: "100.00", channel: "wechat_native" });

    const page = await fetch(top.checkoutUrl);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("深度求索 Demo");
    expect(html).toContain("¥100.00");
    expect(html).toContain("<svg");
    expect(html).toContain("模拟支付");
    expect(html).toContain('name="viewport"');
    const status = async () =>
      (await (await fetch(`${top.checkoutUrl}/status`)).json()) as { status: string; amount: string };
    expect(await status()).toMatchObject({ status: "pending", amount: "100.00" });

    const pressed = await fetch(`${top.checkoutUrl}/simulate`, { method: "POST" });
    expect(pressed.status).toBe(200);
    expect((await waitFor(status, (s) => s.status === "paid")).status).toBe("paid");
    expect((await fetch(`${server.url}/checkout/inv_nope`)).status).toBe(404);

    const card = await client.rateCards.create({
      name: "images",
      currency: "CNY",
      prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.20" }],
    });
    await client.customers.update("user_42", { rateCardId: card.id, billingMode: "prepaid" });
    const events = Array.from({ length: 10 }, (_, i) => ({
      customerExternalId: "user_42",
      idempotencyKey: `img_${i}`,
      metric: "images",
      quantity: "1",
      occurredAt: new Date(Date.now() - 1_000).toISOString(),
    }));
    const ingested = await client.usageEvents.ingest(events);
    expect(ingested.results.every((r) => r.status === "accepted")).toBe(true);
    expect((await client.wallets.retrieve("user_42")).balance).toBe("98.00");
    const history = await client.wallets.transactions("user_42");
    expect(history.data.map((t) => t.type)).toEqual(["usage", "top_up"]);
  });
});

describe("restart", () => {
  it("replays payments, invoices and wallets from the log, keeps the sandbox keys and the expiry timers", async () => {
    const { client, test } = await merchant("Restart");
    await client.customers.create({ externalId: "z" });
    const top = await client.wallets.topUp("z", {
      amount: "9.99",
      channel: "wechat_jsapi",
      payerOpenId: "oZ",
    });
    await client.sandbox.simulatePayment(top.invoiceId, { outcome: "succeeded" });
    await client.refunds.create({ invoiceId: top.invoiceId, amount: "0.99" });
    const before = await waitFor(
      () => invoiceOf(client, top.invoiceId),
      (i) => i.refunds[0]?.status === "succeeded",
    );
    const pending = await client.wallets.topUp("z", { amount: "1.00", channel: "wechat_native" });
    const keys = server.collection?.sandboxKeys.wechatpay.mchid;
    await server.stop();
    server = await startTestServer({ dataDir: server.dataDir, collect: true });
    expect(server.collection?.sandboxKeys.wechatpay.mchid).toBe(keys);
    const reopened = new BuffMoneyClient({
      apiKey: test,
      baseUrl: server.url,
      maxRetries: 0,
    });
    const after = await reopened.invoices.retrieve(top.invoiceId);
    expect({ ...after, checkoutUrl: "" }).toEqual({ ...before, checkoutUrl: "" });
    expect((await reopened.wallets.retrieve("z")).balance).toBe("9.00");
    await server.runtime.timers.sweep(Date.parse(pending.expiresAt) + 1);
    expect((await reopened.invoices.retrieve(pending.invoiceId)).payment?.status).toBe("closed");
  });
});
