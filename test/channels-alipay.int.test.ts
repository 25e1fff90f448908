import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alipay,
  AlipayChannel,
  ChannelError,
  createAlipaySimulator,
  createCallbackReceiver,
  generateAlipaySandboxKeys,
  listenOnLoopback,
  type AlipaySimulator,
  type CallbackReceiver,
  type ChannelNotification,
  type CreateOrderInput,
  type LoopbackServer,
} from "../channels/index.js";

const keys = generateAlipaySandboxKeys();
/** Someone else's key pair: an impostor's app key, or a public key that is not Alipay's. */
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
let clockOffsetMs = 0;
const now = () => Date.now() + clockOffsetMs;

let sim: AlipaySimulator;
let server: LoopbackServer;
let channel: AlipayChannel;
let receiver: CallbackReceiver;
let notifyUrl: string;

const merchantConfig = () => ({
  gateway: `${server.url}/gateway.do`,
  appId: keys.appId,
  appPrivateKey: keys.appPrivateKeyPem,
  alipayPublicKey: keys.alipayPublicKeyPem,
  sellerId: keys.sellerId,
  now,
});

beforeAll(async () => {
  sim = createAlipaySimulator({ keys, now, retryScale: 0.0001 });
  server = await listenOnLoopback(sim.listener);
  channel = new AlipayChannel(merchantConfig());
  receiver = await createCallbackReceiver((headers, body) => channel.parseCallback(headers, body));
  notifyUrl = `${receiver.url}/alipay/notify`;
});

afterAll(async () => {
  await sim.close();
  await server.close();
  await receiver.close();
});

let seq = 0;
const newOutTradeNo = () => `AP${Date.now()}${++seq}`;

function order(overrides: Partial<CreateOrderInput> = {}): CreateOrderInput {
  return {
    channel: "alipay_qr",
    outTradeNo: newOutTradeNo(),
    amountFen: 8888n,
    description: "BuffMoney 充值 / top-up",
    expiresAt: new Date(now() + 30 * 60_000),
    notifyUrl,
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

const forOrder = (outTradeNo: string) =>
  receiver.received.filter(
    (r) => new URLSearchParams(r.body.toString("utf8")).get("out_trade_no") === outTradeNo,
  );

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
  expect((await control(`/orders/${input.outTradeNo}/pay`, { callback })).status).toBe(200);
  await receiver.waitFor(() => forOrder(input.outTradeNo).length > 0);
  return input;
}

describe("Alipay orders through the simulator", () => {
  it("precreates a QR trade that exists only once scanned, then is paid with a verified notify", async () => {
    const input = order({ attach: "plan=pro&月=1" });
    const created = await channel.createOrder(input);
    expect(created.action.type === "qr_code" && created.action.codeUrl).toMatch(
      /^https:\/\/qr\.alipay\.com\/bax0/,
    );
    expect(await channel.queryOrder(input)).toMatchObject({
      status: "not_found",
      channelState: "ACQ.TRADE_NOT_EXIST",
    });
    expect(await channel.closeOrder(input)).toEqual({ outcome: "not_found" });
    expect(await control(`/orders/${input.outTradeNo}`, undefined, "GET")).toMatchObject({
      status: 200,
      body: { status: "WAIT_BUYER_PAY", visible: false },
    });

    await control(`/orders/${input.outTradeNo}/scan`);
    expect(await channel.queryOrder(input)).toMatchObject({
      status: "pending",
      channelState: "WAIT_BUYER_PAY",
    });
    await control(`/orders/${input.outTradeNo}/pay`);
    await receiver.waitFor(() => accepted(input.outTradeNo).length === 1);
    const [notification] = accepted(input.outTradeNo);
    expect(notification).toMatchObject({
      type: "payment_succeeded",
      amountFen: 8888n,
      attach: "plan=pro&月=1",
    });
    const snapshot = await channel.queryOrder(input);
    expect(snapshot).toMatchObject({ status: "paid", channelState: "TRADE_SUCCESS", amountFen: 8888n });
    expect(snapshot.transactionId).toMatch(/^\d{8}22001\d{15}$/);
    expect(receiver.received.at(-1)?.result.ack).toEqual({
      status: 200,
      contentType: "text/plain; charset=utf-8",
      body: "success",
    });
  });

  it.each(["alipay_page", "alipay_wap"] as const)(
    "builds a signed %s redirect that opens the cashier",
    async (kind) => {
      const input = order({ channel: kind, returnUrl: "https://merchant.example/return" });
      const created = await channel.createOrder(input);
      if (created.action.type !== "alipay_form") throw new Error("expected an alipay_form action");
      expect(created.action.formHtml).toContain('name="sign"');
      expect(await channel.queryOrder(input)).toMatchObject({ status: "not_found" });

      const page = await fetch(created.action.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`data-out-trade-no="${input.outTradeNo}"`);
      expect(await channel.queryOrder(input)).toMatchObject({ status: "pending" });
      const tampered = created.action.url.replace("total_amount%22%3A%2288.88", "total_amount%22%3A%220.01");
      expect(tampered).not.toBe(created.action.url);
      const refused = await fetch(tampered);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain("isv.invalid-signature");
    },
  );

  it("repeats an identical precreate idempotently and refuses changed parameters", async () => {
    const input = order();
    const first = await channel.createOrder(input);
    expect((await channel.createOrder(input)).action).toEqual(first.action);
    await expectChannelError(channel.createOrder({ ...input, amountFen: 1n }), "order_params_mismatch");
  });

  it("refuses orders outside Alipay's limits before calling out", async () => {
    const error = await expectChannelError(
      channel.createOrder(
        order({
          amountFen: 10_000_000_001n,
          outTradeNo: "has-dash",
          expiresAt: new Date(now() + 16 * 86_400_000),
        }),
      ),
      "invalid_order",
    );
    expect((error.details?.violations as Array<{ field: string }>).map((v) => v.field)).toEqual([
      "amountFen",
      "outTradeNo",
      "expiresAt",
    ]);
  });

  it("closes a waiting trade; a paid one reads as already paid", async () => {
    const open = order();
    await channel.createOrder(open);
    await control(`/orders/${open.outTradeNo}/scan`);
    expect(await channel.closeOrder(open)).toEqual({ outcome: "closed" });
    expect(await channel.queryOrder(open)).toMatchObject({ status: "closed", channelState: "TRADE_CLOSED" });
    await expectChannelError(channel.createOrder(open), "order_closed");
    const paid = await createAndPay();
    expect(await channel.closeOrder(paid)).toEqual({ outcome: "already_paid" });
    await expectChannelError(channel.createOrder(paid), "order_paid");
  });

  it("closes a trade at its time_expire", async () => {
    const input = order({ expiresAt: new Date(now() + 5 * 60_000) });
    await channel.createOrder(input);
    await control(`/orders/${input.outTradeNo}/scan`);
    clockOffsetMs += 6 * 60_000;
    try {
      expect(await channel.queryOrder(input)).toMatchObject({ status: "closed" });
    } finally {
      clockOffsetMs -= 6 * 60_000;
    }
  });
});

describe("Alipay refunds", () => {
  it("refunds in part (TRADE_SUCCESS notify) and then in full (TRADE_CLOSED notify)", async () => {
    const paid = await createAndPay({ amountFen: 1000n });
    const part = { outTradeNo: paid.outTradeNo, outRefundNo: `${paid.outTradeNo}R1`, totalFen: 1000n };
    expect(await channel.refund({ ...part, refundFen: 300n, reason: "部分退款" })).toMatchObject({
      status: "succeeded",
      refundFen: 300n,
    });
    await receiver.waitFor(() => accepted(paid.outTradeNo).some((n) => n.type === "refund_succeeded"));
    expect(accepted(paid.outTradeNo).find((n) => n.type === "refund_succeeded")).toMatchObject({
      outRefundNo: part.outRefundNo,
      refundedTotalFen: 300n,
      totalFen: 1000n,
    });
    expect(await channel.queryRefund(part)).toMatchObject({ status: "succeeded", refundFen: 300n });
    // The same request again: Alipay answers fund_change N, the adapter asks and finds it done.
    expect(await channel.refund({ ...part, refundFen: 300n })).toMatchObject({ status: "succeeded" });
    await expectChannelError(channel.refund({ ...part, refundFen: 200n }), "refund_params_mismatch");
    await expectChannelError(
      channel.refund({ ...part, outRefundNo: `${paid.outTradeNo}R2`, refundFen: 701n }),
      "refund_exceeds_refundable",
    );

    const rest = { ...part, outRefundNo: `${paid.outTradeNo}R3`, refundFen: 700n };
    expect(await channel.refund(rest)).toMatchObject({ status: "succeeded" });
    await receiver.waitFor(
      () => accepted(paid.outTradeNo).filter((n) => n.type === "refund_succeeded").length === 2,
    );
    const full = forOrder(paid.outTradeNo).map((r) => new URLSearchParams(r.body.toString("utf8")));
    expect(full.at(-1)?.get("trade_status")).toBe("TRADE_CLOSED");
    expect(full.at(-1)?.get("refund_fee")).toBe("10.00");
    expect(await channel.queryOrder(paid)).toMatchObject({ status: "paid", channelState: "TRADE_CLOSED" });
    expect(await channel.queryRefund({ ...part, outRefundNo: "NOPE" })).toMatchObject({
      status: "not_found",
    });
  });

  it("refuses to refund an unpaid trade and maps a short balance", async () => {
    const open = order();
    await channel.createOrder(open);
    await control(`/orders/${open.outTradeNo}/scan`);
    await expectChannelError(
      channel.refund({ outTradeNo: open.outTradeNo, outRefundNo: "R1", refundFen: 1n, totalFen: 8888n }),
      "refund_not_allowed",
    );
    const paid = await createAndPay();
    await control("/faults", {
      api: [{ operation: "alipay.trade.refund", code: "ACQ.SELLER_BALANCE_NOT_ENOUGH" }],
    });
    const error = await expectChannelError(
      channel.refund({ outTradeNo: paid.outTradeNo, outRefundNo: "R1", refundFen: 1n, totalFen: 8888n }),
      "insufficient_merchant_balance",
    );
    expect(error.retryable).toBe(true);
  });
});

describe("Alipay trade bill", () => {
  it("is not ready before 09:00 the next day, then downloads a GBK zip and parses it", async () => {
    const paid = await createAndPay({ amountFen: 2000n });
    await channel.refund({
      outTradeNo: paid.outTradeNo,
      outRefundNo: `${paid.outTradeNo}R1`,
      refundFen: 500n,
      totalFen: 2000n,
    });
    const paidAt = (await channel.queryOrder(paid)).paidAt ?? new Date();
    const billDate = new Date(paidAt.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
    const nextDayBeijingMs = Date.parse(`${billDate}T00:00:00+08:00`) + 86_400_000;
    try {
      clockOffsetMs = nextDayBeijingMs + 8 * 3600_000 - Date.now();
      await expectChannelError(channel.downloadTradeBill({ billDate }), "bill_not_ready");
      clockOffsetMs = nextDayBeijingMs + 9.5 * 3600_000 - Date.now();
      const bill = await channel.downloadTradeBill({ billDate });
      expect(bill.rows.filter((r) => r.outTradeNo === paid.outTradeNo)).toEqual([
        expect.objectContaining({ kind: "payment", amountFen: 2000n, feeFen: 12n }),
        expect.objectContaining({
          kind: "refund",
          amountFen: -500n,
          feeFen: -3n,
          outRefundNo: `${paid.outTradeNo}R1`,
        }),
      ]);
      const file = alipay.parseAlipayBillZip(bill.raw);
      expect(file.detailName).toBe(`${keys.sellerId}_${billDate.replaceAll("-", "")}_业务明细.csv`);
      expect(file.comments[0]).toBe("#支付宝业务明细查询");
      expect(file.columns).toHaveLength(25);
    } finally {
      clockOffsetMs = 0;
    }
  });
});

describe("Alipay notifies under faults", () => {
  it("refuses a forged notify with `fail` and takes the genuine resend", async () => {
    const paid = await createAndPay({}, { tamper: "bad_signature" });
    await receiver.waitFor(() => accepted(paid.outTradeNo).length === 1);
    const [forged, genuine] = forOrder(paid.outTradeNo).map((r) => r.result);
    expect(forged).toMatchObject({ accepted: false, rejection: "bad_signature", ack: { body: "fail" } });
    expect(genuine?.accepted).toBe(true);
  });

  it("delivers duplicates (one notify_id) and held notifies in reverse order", async () => {
    const duplicated = await createAndPay({}, { duplicates: 2 });
    await receiver.waitFor(() => accepted(duplicated.outTradeNo).length === 3);
    expect(new Set(accepted(duplicated.outTradeNo).map((n) => n.eventId)).size).toBe(1);

    await control("/faults", { callbacks: { hold: true } });
    const held: CreateOrderInput[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const input = order();
        await channel.createOrder(input);
        await control(`/orders/${input.outTradeNo}/pay`);
        held.push(input);
      }
    } finally {
      await control("/faults", {}, "DELETE");
    }
    await control("/callbacks/release", { order: "reverse" });
    const arrival = receiver.received.flatMap(({ result }) =>
      result.accepted && held.some((o) => o.outTradeNo === result.notification.outTradeNo)
        ? [result.notification.outTradeNo]
        : [],
    );
    expect(arrival).toEqual(held.map((o) => o.outTradeNo).reverse());
  });

  it("resends until the merchant answers exactly `success`", async () => {
    let answers = ["fail", "SUCCESS", "success"];
    const merchant = await listenOnLoopback((req, res) => {
      req.resume();
      req.on("end", () => res.end(answers.shift() ?? "success"));
    });
    try {
      const input = order({ notifyUrl: `${merchant.url}/notify` });
      await channel.createOrder(input);
      await control(`/orders/${input.outTradeNo}/pay`);
      await sim.delivery.idle();
      const sends = sim.delivery.log().filter((a) => a.label.endsWith(input.outTradeNo));
      expect(sends.map((a) => [a.kind, a.acknowledged])).toEqual([
        ["notify", false],
        ["retry", false],
        ["retry", true],
      ]);
      answers = [];
    } finally {
      await merchant.close();
    }
  });
});

describe("Alipay gateway errors", () => {
  it("answers a wrong app key with isv.invalid-signature and an injected system error as retryable", async () => {
    const impostor = new AlipayChannel({
      ...merchantConfig(),
      appPrivateKey: stranger.privateKey,
    });
    const error = await expectChannelError(impostor.queryOrder({ outTradeNo: "ANY" }), "auth_failed");
    expect(error.channelCode).toBe("isv.invalid-signature");

    await control("/faults", { api: [{ operation: "alipay.trade.query", code: "isp.unknow-error" }] });
    const unavailable = await expectChannelError(
      channel.queryOrder({ outTradeNo: "ANY" }),
      "channel_unavailable",
    );
    expect(unavailable.retryable).toBe(true);
  });

  it("refuses an answer not signed by Alipay's key", async () => {
    const distrustful = new AlipayChannel({ ...merchantConfig(), alipayPublicKey: stranger.publicKey });
    await expectChannelError(distrustful.createOrder(order()), "response_signature_invalid");
  });
});
