import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChannelError,
  createCallbackReceiver,
  createWechatPaySimulator,
  generateWechatPaySandboxKeys,
  listenOnLoopback,
  mountSimulator,
  wechatpay,
  WechatPayChannel,
  type CallbackReceiver,
  type ChannelNotification,
  type CreateOrderInput,
  type DeliveryAttempt,
  type LoopbackServer,
  type WechatPaySimulator,
} from "../channels/index.js";
import { generateWechatPayCertificate } from "../channels/sandbox/keys.js";

const keys = generateWechatPaySandboxKeys();
let clockOffsetMs = 0;
const now = () => Date.now() + clockOffsetMs;
const retryScale = 0.001; // WeChat's 15 s → 15 ms

let sim: WechatPaySimulator;
let server: LoopbackServer;
let channel: WechatPayChannel;
let receiver: CallbackReceiver;
let notifyUrl: string;

const merchantConfig = () => ({
  baseUrl: server.url,
  mchid: keys.mchid,
  appid: keys.appid,
  merchantSerial: keys.merchantSerial,
  merchantPrivateKey: keys.merchantPrivateKeyPem,
  apiV3Key: keys.apiV3Key,
  platformCertificates: [keys.platformCertificatePem],
  now,
});

beforeAll(async () => {
  sim = createWechatPaySimulator({ keys, now, retryScale, refundSettleDelayMs: null });
  server = await listenOnLoopback(sim.listener);
  channel = new WechatPayChannel(merchantConfig());
  receiver = await createCallbackReceiver((headers, body) => channel.parseCallback(headers, body));
  notifyUrl = `${receiver.url}/wechatpay/notify`;
});

afterAll(async () => {
  await sim.close();
  await server.close();
  await receiver.close();
});

let seq = 0;
const newOutTradeNo = () => `WX${Date.now()}${++seq}`;

/** Each order gets its own notify path, so callbacks can be told apart before they are verified. */
function order(overrides: Partial<CreateOrderInput> = {}): CreateOrderInput {
  const outTradeNo = overrides.outTradeNo ?? newOutTradeNo();
  return {
    channel: "wechat_native",
    outTradeNo,
    amountFen: 100n,
    description: "BuffMoney 充值 ¥1",
    expiresAt: new Date(now() + 30 * 60_000),
    notifyUrl: `${notifyUrl}/${outTradeNo}`,
    ...overrides,
  };
}

async function control(path: string, body: unknown = {}, method = "POST") {
  const response = await fetch(`${server.url}/__sim${path}`, {
    method,
    ...(method === "GET" ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const accepted = (outTradeNo: string): ChannelNotification[] =>
  receiver.received.flatMap((r) =>
    r.result.accepted && r.result.notification.outTradeNo === outTradeNo ? [r.result.notification] : [],
  );

const forOrder = (outTradeNo: string) => receiver.received.filter((r) => r.url.endsWith(`/${outTradeNo}`));

async function expectChannelError(promise: Promise<unknown>, code: string): Promise<ChannelError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  expect((error as ChannelError).code).toBe(code);
  return error as ChannelError;
}

async function createAndPay(
  overrides: Partial<CreateOrderInput> = {},
  callback: Record<string, unknown> = {},
) {
  const input = order(overrides);
  await channel.createOrder(input);
  const paid = await control(`/orders/${input.outTradeNo}/pay`, { callback });
  expect(paid.status).toBe(200);
  return input;
}

describe("WeChat Pay orders through the simulator", () => {
  it("creates a Native order, pending until the customer pays, then paid with a verified callback", async () => {
    const input = order();
    const created = await channel.createOrder(input);
    expect(created.action).toMatchObject({ type: "qr_code" });
    expect(created.action.type === "qr_code" && created.action.codeUrl).toMatch(
      /^weixin:\/\/wxpay\/bizpayurl\/up\?pr=/,
    );
    expect(await channel.queryOrder(input)).toMatchObject({
      status: "pending",
      channelState: "NOTPAY",
      amountFen: 100n,
    });

    await control(`/orders/${input.outTradeNo}/pay`);
    await receiver.waitFor(() => accepted(input.outTradeNo).length === 1);
    const [notification] = accepted(input.outTradeNo);
    expect(notification).toMatchObject({ type: "payment_succeeded", amountFen: 100n, currency: "CNY" });
    const snapshot = await channel.queryOrder(input);
    expect(snapshot).toMatchObject({ status: "paid", channelState: "SUCCESS", amountFen: 100n });
    expect(snapshot.transactionId).toMatch(/^\d{28}$/);
    expect(notification?.type === "payment_succeeded" && notification.transactionId).toBe(
      snapshot.transactionId,
    );
  });

  it("creates a JSAPI order whose signed wx.requestPayment parameters the wallet accepts", async () => {
    const input = order({ channel: "wechat_jsapi", payerOpenId: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" });
    const created = await channel.createOrder(input);
    if (created.action.type !== "jsapi") throw new Error("expected a jsapi action");
    const { payParams, prepayId } = created.action;
    expect(payParams).toMatchObject({ appId: keys.appid, package: `prepay_id=${prepayId}`, signType: "RSA" });

    const forged = await control(`/orders/${input.outTradeNo}/pay`, {
      jsapi: { ...payParams, nonceStr: "x" },
    });
    expect(forged).toMatchObject({ status: 400, body: { code: "SIGN_ERROR" } });
    expect((await control(`/orders/${input.outTradeNo}/pay`, { jsapi: payParams })).status).toBe(200);
    await receiver.waitFor(() => accepted(input.outTradeNo).length === 1);
    expect(accepted(input.outTradeNo)[0]).toMatchObject({ payerId: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" });
  });

  it("creates an H5 order whose h5_url opens the cashier page", async () => {
    const input = order({ channel: "wechat_h5", clientIp: "203.0.113.7", amountFen: 1234n });
    const created = await channel.createOrder(input);
    if (created.action.type !== "redirect") throw new Error("expected a redirect");
    expect(created.action.url).toContain("/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx");
    const page = await fetch(created.action.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("¥12.34");
  });

  it("repeats an identical create idempotently and refuses changed parameters", async () => {
    const input = order();
    const first = await channel.createOrder(input);
    expect((await channel.createOrder(input)).action).toEqual(first.action);
    await expectChannelError(channel.createOrder({ ...input, amountFen: 200n }), "order_params_mismatch");
  });

  it("refuses orders outside WeChat's limits before calling out", async () => {
    const input = order({
      amountFen: 0n,
      description: "x".repeat(128),
      outTradeNo: "abc",
      expiresAt: new Date(now() + 30_000),
    });
    const error = await expectChannelError(channel.createOrder(input), "invalid_order");
    const fields = (error.details?.violations as Array<{ field: string }>).map((v) => v.field);
    expect(fields).toEqual(["amountFen", "description", "outTradeNo", "expiresAt"]);
    await expectChannelError(channel.createOrder(order({ channel: "wechat_jsapi" })), "invalid_order");
    expect((await control(`/orders/abc`, undefined, "GET")).status).toBe(404);
    const listed = await fetch(`${server.url}/__sim/orders`);
    expect(listed.status).toBe(200);
  });

  it("closes an unpaid order, reports a paid one as already paid and an unknown one as not found", async () => {
    const open = order();
    await channel.createOrder(open);
    expect(await channel.closeOrder(open)).toEqual({ outcome: "closed" });
    expect(await channel.closeOrder(open)).toEqual({ outcome: "closed" });
    expect(await channel.queryOrder(open)).toMatchObject({ status: "closed", channelState: "CLOSED" });
    await expectChannelError(channel.createOrder(open), "order_closed");

    const paid = await createAndPay();
    expect(await channel.closeOrder(paid)).toEqual({ outcome: "already_paid" });
    expect(await channel.closeOrder({ outTradeNo: "NEVER_CREATED" })).toEqual({ outcome: "not_found" });
    expect(await channel.queryOrder({ outTradeNo: "NEVER_CREATED" })).toMatchObject({ status: "not_found" });
  });

  it("closes an unpaid order once its time_expire passes, and a failed payment reads as failed", async () => {
    const input = order({ expiresAt: new Date(now() + 2 * 60_000) });
    await channel.createOrder(input);
    clockOffsetMs += 3 * 60_000;
    try {
      expect(await channel.queryOrder(input)).toMatchObject({ status: "closed" });
      expect((await control(`/orders/${input.outTradeNo}/pay`)).status).toBe(409);
    } finally {
      clockOffsetMs -= 3 * 60_000;
    }
    const failing = order();
    await channel.createOrder(failing);
    await control(`/orders/${failing.outTradeNo}/fail`);
    expect(await channel.queryOrder(failing)).toMatchObject({ status: "failed", channelState: "PAYERROR" });
    await control(`/orders/${failing.outTradeNo}/expire`);
    expect(await channel.queryOrder(failing)).toMatchObject({ status: "closed" });
  });
});

describe("WeChat Pay refunds", () => {
  it("refunds in part: PROCESSING, then SUCCESS with a verified refund callback", async () => {
    const paid = await createAndPay();
    const refundNotify = `${receiver.url}/wechatpay/refund-notify`;
    const refund = { outTradeNo: paid.outTradeNo, outRefundNo: `${paid.outTradeNo}R1`, totalFen: 100n };
    expect(
      await channel.refund({ ...refund, refundFen: 30n, reason: "部分退款", notifyUrl: refundNotify }),
    ).toMatchObject({
      status: "processing",
      refundFen: 30n,
    });
    expect(await channel.queryRefund(refund)).toMatchObject({
      status: "processing",
      channelState: "PROCESSING",
    });
    expect(await channel.queryOrder(paid)).toMatchObject({ status: "paid", channelState: "REFUND" });

    await control(`/refunds/${refund.outRefundNo}/settle`, { status: "SUCCESS" });
    await receiver.waitFor(() => accepted(paid.outTradeNo).some((n) => n.type === "refund_succeeded"));
    expect(accepted(paid.outTradeNo).find((n) => n.type === "refund_succeeded")).toMatchObject({
      outRefundNo: refund.outRefundNo,
      refundFen: 30n,
      totalFen: 100n,
    });
    const settled = await channel.queryRefund(refund);
    expect(settled).toMatchObject({ status: "succeeded", refundFen: 30n });
    expect(settled.refundId).toMatch(/^\d{29}$/);
  });

  it("keeps an ABNORMAL refund open: not a failure, and its later SUCCESS is reported", async () => {
    const paid = await createAndPay();
    const refundNotify = `${receiver.url}/wechatpay/refund-notify`;
    const refund = { outTradeNo: paid.outTradeNo, outRefundNo: `${paid.outTradeNo}RA`, totalFen: 100n };
    await channel.refund({ ...refund, refundFen: 100n, notifyUrl: refundNotify });
    await control(`/refunds/${refund.outRefundNo}/settle`, { status: "ABNORMAL" });
    await receiver.waitFor(() => accepted(paid.outTradeNo).some((n) => n.type === "refund_processing"));
    expect(accepted(paid.outTradeNo).map((n) => n.type)).not.toContain("refund_failed");
    expect(await channel.queryRefund(refund)).toMatchObject({
      status: "processing",
      channelState: "ABNORMAL",
    });
    await control(`/refunds/${refund.outRefundNo}/settle`, { status: "SUCCESS" });
    await receiver.waitFor(() => accepted(paid.outTradeNo).some((n) => n.type === "refund_succeeded"));
    expect(await channel.queryRefund(refund)).toMatchObject({ status: "succeeded", refundFen: 100n });
  });

  it("refuses more than the refundable rest, a reused refund number with other amounts, and knows unknown refunds", async () => {
    const paid = await createAndPay();
    const base = { outTradeNo: paid.outTradeNo, totalFen: 100n };
    await channel.refund({ ...base, outRefundNo: `${paid.outTradeNo}R1`, refundFen: 60n });
    expect(
      await channel.refund({ ...base, outRefundNo: `${paid.outTradeNo}R1`, refundFen: 60n }),
    ).toMatchObject({
      status: "processing",
    });
    await expectChannelError(
      channel.refund({ ...base, outRefundNo: `${paid.outTradeNo}R2`, refundFen: 41n }),
      "refund_exceeds_refundable",
    );
    await expectChannelError(
      channel.refund({ ...base, outRefundNo: `${paid.outTradeNo}R1`, refundFen: 10n }),
      "refund_params_mismatch",
    );
    expect(await channel.queryRefund({ outTradeNo: paid.outTradeNo, outRefundNo: "NOPE" })).toMatchObject({
      status: "not_found",
    });
    const unpaid = order();
    await channel.createOrder(unpaid);
    await expectChannelError(
      channel.refund({
        outTradeNo: unpaid.outTradeNo,
        outRefundNo: "R-unpaid",
        refundFen: 1n,
        totalFen: 100n,
      }),
      "refund_not_allowed",
    );
  });
});

describe("WeChat Pay trade bill", () => {
  it("is not ready before 10:00 the next day, then downloads, hash-checks and parses", async () => {
    const paid = await createAndPay({ amountFen: 2000n });
    const refund = { outTradeNo: paid.outTradeNo, outRefundNo: `${paid.outTradeNo}R1`, totalFen: 2000n };
    await channel.refund({ ...refund, refundFen: 500n });
    await control(`/refunds/${refund.outRefundNo}/settle`, { status: "SUCCESS" });
    const paidAt = (await channel.queryOrder(paid)).paidAt ?? new Date();
    const billDate = new Date(paidAt.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
    const nextDayBeijingMs = Date.parse(`${billDate}T00:00:00+08:00`) + 24 * 3600_000;
    try {
      clockOffsetMs = nextDayBeijingMs + 9 * 3600_000 - Date.now();
      await expectChannelError(channel.downloadTradeBill({ billDate }), "bill_not_ready");
      clockOffsetMs = nextDayBeijingMs + 10.5 * 3600_000 - Date.now();
      const bill = await channel.downloadTradeBill({ billDate });
      const rows = bill.rows.filter((r) => r.outTradeNo === paid.outTradeNo);
      expect(rows).toEqual([
        expect.objectContaining({ kind: "payment", amountFen: 2000n, feeFen: 12n }),
        expect.objectContaining({
          kind: "refund",
          amountFen: -500n,
          feeFen: -3n,
          outRefundNo: refund.outRefundNo,
        }),
      ]);
      const text = Buffer.from(bill.raw).toString("utf8");
      expect(text.split("\r\n")[0]?.split(",")).toHaveLength(27);
      expect(text).toContain(`\`${paid.outTradeNo}`);

      const gz = await channel.client.applyTradeBill({ billDate, billType: "SUCCESS", gzip: true });
      const bytes = await channel.client.downloadBill(gz.download_url);
      expect(createHash("sha1").update(bytes).digest("hex")).toBe(gz.hash_value);
      const success = wechatpay.parseWechatTradeBill(gunzipSync(bytes).toString("utf8"));
      expect(success.columns).toHaveLength(20);
      expect(success.rows.every((row) => row["交易状态"] === "SUCCESS")).toBe(true);
      expect(Object.keys(success.summary)[0]).toBe("总交易单数");
    } finally {
      clockOffsetMs = 0;
    }
  });
});

describe("WeChat Pay callbacks under faults", () => {
  it("answers the signature probe with 401 and then takes the genuine callback", async () => {
    const paid = await createAndPay({}, { probe: true });
    await receiver.waitFor(() => accepted(paid.outTradeNo).length === 1);
    const results = forOrder(paid.outTradeNo).map((r) => r.result);
    expect(results[0]).toMatchObject({
      accepted: false,
      rejection: "signature_probe",
      ack: { status: 401, body: '{"code":"FAIL","message":"失败"}' },
    });
    expect(results[1]).toMatchObject({
      accepted: true,
      ack: { status: 200, body: '{"code":"SUCCESS","message":"成功"}' },
    });
    await sim.delivery.idle();
    const kinds = sim.delivery
      .log()
      .filter((a) => a.label.endsWith(paid.outTradeNo))
      .map((a) => [a.kind, a.status]);
    expect(kinds).toEqual([
      ["probe", 401],
      ["notify", 200],
    ]);
  });

  it.each([
    ["stale_timestamp", "stale_timestamp"],
    ["bad_signature", "bad_signature"],
    ["unknown_serial", "unknown_serial"],
  ])("refuses a callback with %s and takes the retry", async (tamper, rejection) => {
    const paid = await createAndPay({}, { tamper });
    await receiver.waitFor(() => accepted(paid.outTradeNo).length === 1);
    const [first, second] = forOrder(paid.outTradeNo).map((r) => r.result);
    expect(first).toMatchObject({ accepted: false, rejection, ack: { status: 401 } });
    expect(second?.accepted).toBe(true);
  });

  it("refuses a replayed callback by its nonce", async () => {
    const paid = await createAndPay({}, { replay: true });
    await receiver.waitFor(() => forOrder(paid.outTradeNo).length === 2);
    const [first, replay] = forOrder(paid.outTradeNo);
    expect(replay?.body.equals(first?.body ?? Buffer.alloc(0))).toBe(true);
    expect(replay?.result).toMatchObject({
      accepted: false,
      rejection: "replayed_nonce",
      ack: { status: 401 },
    });
  });

  it("delivers duplicates, each freshly signed and verified, all about one transaction", async () => {
    const paid = await createAndPay({}, { duplicates: 2 });
    await receiver.waitFor(() => accepted(paid.outTradeNo).length === 3);
    const notifications = accepted(paid.outTradeNo);
    const nonces = forOrder(paid.outTradeNo).map((r) => r.headers["wechatpay-nonce"]);
    expect(new Set(nonces).size).toBe(3);
    expect(new Set(notifications.map((n) => n.type === "payment_succeeded" && n.transactionId)).size).toBe(1);
    expect(new Set(notifications.map((n) => n.eventId)).size).toBe(1);
  });

  it("delivers held callbacks in reverse order", async () => {
    await control("/faults", { callbacks: { hold: true } });
    const orders: CreateOrderInput[] = [];
    try {
      for (let i = 0; i < 3; i++) orders.push(await createAndPay());
    } finally {
      await control("/faults", {}, "DELETE");
    }
    expect(await control("/callbacks", undefined, "GET")).toMatchObject({ body: { held: 3 } });
    expect(await control("/callbacks/release", { order: "reverse" })).toMatchObject({
      body: { released: 3 },
    });
    const arrival = receiver.received.flatMap(({ result }) =>
      result.accepted && orders.some((o) => o.outTradeNo === result.notification.outTradeNo)
        ? [result.notification.outTradeNo]
        : [],
    );
    expect(arrival).toEqual(orders.map((o) => o.outTradeNo).reverse());
  });

  it("retries lost and refused callbacks on WeChat's schedule, scaled", async () => {
    const lost = await createAndPay({}, { dropAttempts: 2 });
    await receiver.waitFor(() => accepted(lost.outTradeNo).length === 1);
    await sim.delivery.idle();
    const attempts = sim.delivery.log().filter((a) => a.label.endsWith(lost.outTradeNo));
    expect(attempts.map((a) => a.kind)).toEqual(["dropped", "dropped", "retry"]);

    let failuresLeft = 3;
    const flaky = await listenOnLoopback((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(failuresLeft-- > 0 ? 500 : 204);
        res.end();
      });
    });
    try {
      const refused = await createAndPay({ notifyUrl: `${flaky.url}/notify` });
      await sim.delivery.idle();
      const sends = sim.delivery.log().filter((a) => a.label.endsWith(refused.outTradeNo));
      expect(sends.map((a) => [a.kind, a.status])).toEqual([
        ["notify", 500],
        ["retry", 500],
        ["retry", 500],
        ["retry", 204],
      ]);
      const gaps = sends.slice(1).map((a, i) => a.at - (sends[i] as DeliveryAttempt).at);
      [15, 15, 30].forEach((expected, i) => expect(gaps[i]).toBeGreaterThanOrEqual(expected - 1));
    } finally {
      await flaky.close();
    }
  });
});

describe("WeChat Pay platform keys", () => {
  it("follows a platform certificate rotation by downloading /v3/certificates", async () => {
    const rotated = await control("/platform-certificates/rotate");
    const paid = await createAndPay();
    expect(await channel.queryOrder(paid)).toMatchObject({ status: "paid" });
    expect(channel.client.keys.serials()).toContain(rotated.body.serial);
    await receiver.waitFor(() => accepted(paid.outTradeNo).length === 1);
  });

  it("refuses answers signed by a key it does not trust, and the simulator refuses a wrong merchant key", async () => {
    const stranger = generateWechatPayCertificate("stranger", "not WeChat");
    const distrustful = new WechatPayChannel({
      ...merchantConfig(),
      platformCertificates: [stranger.certificatePem],
      autoFetchCertificates: false,
    });
    await expectChannelError(
      distrustful.queryOrder({ outTradeNo: "ANY_ORDER" }),
      "response_signature_invalid",
    );
    const impostor = new WechatPayChannel({
      ...merchantConfig(),
      merchantPrivateKey: stranger.privateKeyPem,
    });
    const error = await expectChannelError(impostor.queryOrder({ outTradeNo: "ANY_ORDER" }), "auth_failed");
    expect(error).toMatchObject({ channelCode: "SIGN_ERROR", httpStatus: 401 });
  });

  it("works in public-key mode (Wechatpay-Serial = PUB_KEY_ID_…) and enforces a merchant's amount cap", async () => {
    const pkSim = createWechatPaySimulator({
      keys,
      now,
      retryScale,
      platformKeyMode: "public_key",
      amountFenMax: 10_000n,
    });
    const pkServer = await listenOnLoopback(pkSim.listener);
    try {
      const info = (await (await fetch(`${pkServer.url}/__sim/keys`)).json()) as Record<string, string>;
      expect(info.platformPublicKeyId).toMatch(/^PUB_KEY_ID_\d+$/);
      const pkChannel = new WechatPayChannel({
        ...merchantConfig(),
        baseUrl: pkServer.url,
        platformCertificates: [],
        platformPublicKeys: [
          { keyId: info.platformPublicKeyId ?? "", publicKey: info.platformPublicKeyPem ?? "" },
        ],
        autoFetchCertificates: false,
      });
      const pkReceiver = await createCallbackReceiver((h, b) => pkChannel.parseCallback(h, b));
      try {
        const input = order({ notifyUrl: `${pkReceiver.url}/notify` });
        await pkChannel.createOrder(input);
        await fetch(`${pkServer.url}/__sim/orders/${input.outTradeNo}/pay`, { method: "POST", body: "{}" });
        await pkReceiver.waitFor((r) => r.some((x) => x.result.accepted));
        expect(pkReceiver.received[0]?.headers["wechatpay-serial"]).toBe(info.platformPublicKeyId);
        await expectChannelError(
          pkChannel.createOrder(order({ amountFen: 10_001n })),
          "amount_limit_exceeded",
        );
      } finally {
        await pkReceiver.close();
      }
    } finally {
      await pkSim.close();
      await pkServer.close();
    }
  });
});

describe("WeChat Pay error mapping", () => {
  it("maps an injected SYSTEM_ERROR to a retryable error and a legacy ORDERNOTEXIST to not found", async () => {
    const input = order();
    await channel.createOrder(input);
    await control("/faults", { api: [{ operation: "query", code: "SYSTEM_ERROR" }] });
    const error = await expectChannelError(channel.queryOrder(input), "channel_unavailable");
    expect(error.retryable).toBe(true);
    expect(await channel.queryOrder(input)).toMatchObject({ status: "pending" });
    await control("/faults", { api: [{ operation: "query", code: "ORDERNOTEXIST", status: 404 }] });
    expect(await channel.queryOrder(input)).toMatchObject({ status: "not_found" });
    await control("/faults", { api: [{ operation: "native", code: "FREQUENCY_LIMITED" }] });
    await expectChannelError(channel.createOrder(order()), "rate_limited");
  });
});

describe("mounted inside a host Koa app", () => {
  it("serves the simulator under a prefix; the adapter signs paths below it", async () => {
    const mounted = createWechatPaySimulator({ keys, now, mountPath: "/sandbox/wechatpay" });
    const host = new Koa();
    host.use(mountSimulator("/sandbox/wechatpay", mounted.listener));
    host.use((ctx) => {
      ctx.body = "host app";
    });
    const hostServer = await listenOnLoopback(host.callback());
    try {
      const adapter = new WechatPayChannel({
        ...merchantConfig(),
        baseUrl: `${hostServer.url}/sandbox/wechatpay`,
      });
      const input = order();
      await adapter.createOrder(input);
      expect(await adapter.queryOrder(input)).toMatchObject({ status: "pending" });
      expect(await (await fetch(`${hostServer.url}/elsewhere`)).text()).toBe("host app");
    } finally {
      await mounted.close();
      await hostServer.close();
    }
  });
});
