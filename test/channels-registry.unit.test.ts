import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  alipay,
  ChannelError,
  createPaymentChannels,
  wechatpay,
  type CreateOrderInput,
} from "../channels/index.js";

// No call leaves the process here, so one small key pair plays every part.
const pair = generateKeyPairSync("rsa", { modulusLength: 1024 });
const nowMs = Date.UTC(2026, 0, 1, 4);
const refuseNetwork = (() => Promise.reject(new Error("no network in unit tests"))) as typeof fetch;

const channels = createPaymentChannels({
  wechatpay: {
    mchid: "1900000109",
    appid: "wxd678efh567hg6787",
    merchantSerial: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
    merchantPrivateKey: pair.privateKey,
    apiV3Key: "0123456789abcdef0123456789abcdef",
    platformPublicKeys: [{ keyId: "PUB_KEY_ID_0100000000000000000000000000", publicKey: pair.publicKey }],
    now: () => nowMs,
    fetch: refuseNetwork,
  },
  alipay: {
    appId: "2021000000000001",
    appPrivateKey: pair.privateKey,
    alipayPublicKey: pair.publicKey,
    now: () => nowMs,
    fetch: refuseNetwork,
  },
});

const base: CreateOrderInput = {
  channel: "wechat_native",
  outTradeNo: "ORDER_000001",
  amountFen: 100n,
  description: "credits",
  expiresAt: new Date(nowMs + 15 * 60_000),
  notifyUrl: "https://merchant.example/notify",
};

describe("channel registry", () => {
  it("routes each kind to its provider", () => {
    expect(channels.forKind("wechat_h5").provider).toBe("wechatpay");
    expect(channels.forKind("alipay_wap").provider).toBe("alipay");
    expect(channels.configured()).toEqual(["wechatpay", "alipay"]);
    expect(() => createPaymentChannels({}).provider("alipay")).toThrow(/not configured/);
  });

  it("fails a network error as retryable channel_unavailable", async () => {
    const error = await channels.createOrder(base).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelError);
    expect(error).toMatchObject({ code: "channel_unavailable", retryable: true });
  });
});

describe("channel limits, checked before calling out", () => {
  it("WeChat: amount ≥ 1 fen, description ≤ 127 characters, out_trade_no 6–32 of [0-9A-Za-z_-|*]", () => {
    expect(wechatpay.checkWechatOrder(base, nowMs)).toEqual([]);
    expect(wechatpay.checkWechatOrder({ ...base, description: "付".repeat(127) }, nowMs)).toEqual([]);
    const fields = (input: Partial<CreateOrderInput>, limits = {}) =>
      wechatpay.checkWechatOrder({ ...base, ...input }, nowMs, limits).map((v) => v.field);
    expect(fields({ amountFen: 0n })).toEqual(["amountFen"]);
    expect(fields({ amountFen: 501n }, { amountFenMax: 500n })).toEqual(["amountFen"]);
    expect(fields({ description: "付".repeat(128) })).toEqual(["description"]);
    expect(fields({ outTradeNo: "A|B*C-D_1" })).toEqual([]);
    expect(fields({ outTradeNo: "ORDER#1" })).toEqual(["outTradeNo"]);
    expect(fields({ notifyUrl: "https://m.example/notify?x=1" })).toEqual(["notifyUrl"]);
    expect(fields({ expiresAt: new Date(nowMs + 8 * 86_400_000) })).toEqual(["expiresAt"]);
    expect(fields({ channel: "wechat_h5" })).toEqual(["clientIp"]);
    expect(fields({ channel: "wechat_jsapi" })).toEqual(["payerOpenId"]);
  });

  it("Alipay: ¥0.01 to ¥100,000,000, subject ≤ 256, out_trade_no ≤ 64 of [0-9A-Za-z_]", () => {
    const input = { ...base, channel: "alipay_qr" as const };
    const fields = (overrides: Partial<CreateOrderInput>) =>
      alipay.checkAlipayOrder({ ...input, ...overrides }, nowMs).map((v) => v.field);
    expect(fields({})).toEqual([]);
    expect(fields({ amountFen: 10_000_000_000n })).toEqual([]);
    expect(fields({ amountFen: 10_000_000_001n })).toEqual(["amountFen"]);
    expect(fields({ description: "x".repeat(257) })).toEqual(["description"]);
    expect(fields({ outTradeNo: "A-1" })).toEqual(["outTradeNo"]);
    expect(fields({ expiresAt: new Date(nowMs + 16 * 86_400_000) })).toEqual(["expiresAt"]);
  });

  it("refunds: within the total, and a reason WeChat can carry", async () => {
    const refund = { outTradeNo: "ORDER_000001", outRefundNo: "R1", refundFen: 101n, totalFen: 100n };
    expect(wechatpay.checkWechatRefund(refund).map((v) => v.field)).toEqual(["refundFen"]);
    expect(
      wechatpay.checkWechatRefund({ ...refund, refundFen: 1n, reason: "因".repeat(81) }).map((v) => v.field),
    ).toEqual(["reason"]);
    await expect(channels.provider("alipay").refund(refund)).rejects.toMatchObject({ code: "invalid_order" });
  });
});
