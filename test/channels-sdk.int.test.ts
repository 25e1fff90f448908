import { AlipaySdk } from "alipay-sdk";
import WxPay from "wechatpay-node-v3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAlipaySimulator,
  createWechatPaySimulator,
  generateAlipaySandboxKeys,
  generateWechatPaySandboxKeys,
  listenOnLoopback,
  type AlipaySimulator,
  type LoopbackServer,
  type WechatPaySimulator,
} from "../channels/index.js";

/** The channels' own SDKs, pointed at the simulators, must work unchanged. */

interface Received {
  headers: Record<string, string>;
  body: string;
}

async function recorder(answer: string | ((r: Received) => Promise<{ status: number; body: string }>)) {
  const received: Received[] = [];
  const server = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry = {
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(entry);
      const reply =
        typeof answer === "string" ? Promise.resolve({ status: 200, body: answer }) : answer(entry);
      void reply.then(({ status, body }) => {
        res.writeHead(status);
        res.end(body);
      });
    });
  });
  return { ...server, received };
}

async function until(predicate: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("alipay-sdk 4.14 against the Alipay simulator", () => {
  const keys = generateAlipaySandboxKeys();
  let sim: AlipaySimulator;
  let server: LoopbackServer;
  let sdk: AlipaySdk;

  beforeAll(async () => {
    sim = createAlipaySimulator({ keys, retryScale: 0.0001 });
    server = await listenOnLoopback(sim.listener);
    // Exactly as production code would construct it; only the gateway differs.
    sdk = new AlipaySdk({
      appId: keys.appId,
      privateKey: keys.appPrivateKeyPem,
      alipayPublicKey: keys.alipayPublicKeyPem,
      gateway: `${server.url}/gateway.do`,
    });
  });

  afterAll(async () => {
    await sim.close();
    await server.close();
  });

  it("precreates, queries, pays, verifies the notify, refunds and closes — signatures checked both ways", async () => {
    const notifyOk: boolean[] = [];
    const merchant = await recorder(async (r) => {
      const postData = Object.fromEntries(new URLSearchParams(r.body));
      notifyOk.push(sdk.checkNotifySign(postData), sdk.checkNotifySignV2(postData));
      return { status: 200, body: "success" };
    });
    try {
      const outTradeNo = `SDK${Date.now()}`;
      const created = await sdk.exec(
        "alipay.trade.precreate",
        {
          notifyUrl: `${merchant.url}/notify`,
          bizContent: { outTradeNo, totalAmount: "0.01", subject: "SDK 测试" },
        },
        { validateSign: true },
      );
      expect(created).toMatchObject({ code: "10000", outTradeNo });
      expect(created.qrCode).toMatch(/^https:\/\/qr\.alipay\.com\//);

      const hidden = await sdk.exec(
        "alipay.trade.query",
        { bizContent: { outTradeNo } },
        { validateSign: true },
      );
      expect(hidden).toMatchObject({ code: "40004", subCode: "ACQ.TRADE_NOT_EXIST" });

      await fetch(`${server.url}/__sim/orders/${outTradeNo}/pay`, { method: "POST", body: "{}" });
      await until(() => merchant.received.length === 1);
      expect(notifyOk).toEqual([true, true]);

      const paid = await sdk.exec(
        "alipay.trade.query",
        { bizContent: { outTradeNo } },
        { validateSign: true },
      );
      expect(paid).toMatchObject({ code: "10000", tradeStatus: "TRADE_SUCCESS", totalAmount: "0.01" });

      const refund = await sdk.exec(
        "alipay.trade.refund",
        { bizContent: { outTradeNo, refundAmount: "0.01", outRequestNo: "R1" } },
        { validateSign: true },
      );
      expect(refund).toMatchObject({ code: "10000", fundChange: "Y", refundFee: "0.01" });
      const refundQuery = await sdk.exec(
        "alipay.trade.fastpay.refund.query",
        { bizContent: { outTradeNo, outRequestNo: "R1" } },
        { validateSign: true },
      );
      expect(refundQuery).toMatchObject({ refundStatus: "REFUND_SUCCESS", refundAmount: "0.01" });
      const closed = await sdk.exec(
        "alipay.trade.close",
        { bizContent: { outTradeNo } },
        { validateSign: true },
      );
      expect(closed).toMatchObject({ code: "40004", subCode: "ACQ.TRADE_STATUS_ERROR" });
    } finally {
      await merchant.close();
    }
  });

  it("builds a page.pay URL and form the simulator's cashier accepts", async () => {
    const outTradeNo = `SDKPAGE${Date.now()}`;
    const bizContent = {
      outTradeNo,
      productCode: "FAST_INSTANT_TRADE_PAY",
      totalAmount: "12.30",
      subject: "页面",
    };
    const url = sdk.pageExecute("alipay.trade.page.pay", "GET", {
      bizContent,
      returnUrl: "https://m.example/r",
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("¥12.30");

    const form = sdk.pageExecute("alipay.trade.page.pay", "POST", {
      bizContent: { ...bizContent, outTradeNo: `${outTradeNo}F` },
    });
    const action = /action="([^"]+)"/.exec(form)?.[1] ?? "";
    const fields = [...form.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map(([, k, v]): [string, string] => [
      k ?? "",
      (v ?? "").replaceAll("&quot;", '"'),
    ]);
    const posted = await fetch(action, { method: "POST", body: new URLSearchParams(fields) });
    expect(posted.status).toBe(200);
  });
});

describe("wechatpay-node-v3 2.2.1 against the WeChat Pay simulator", () => {
  const keys = generateWechatPaySandboxKeys();
  const production = "https://api.mch.weixin.qq.com";
  let sim: WechatPaySimulator;
  let server: LoopbackServer;
  let pay: WxPay;
  const responses: Array<{ url: string; headers: Headers; text: string }> = [];

  beforeAll(async () => {
    sim = createWechatPaySimulator({ keys, retryScale: 0.001, refundSettleDelayMs: null });
    server = await listenOnLoopback(sim.listener);
    // The SDK hard-codes https://api.mch.weixin.qq.com in every method; its public createHttp() hook takes a
    // transport. This one only swaps the host; signing, serials, verification and decryption stay the SDK's.
    const send = async (
      method: "GET" | "POST",
      url: string,
      headers: Record<string, string>,
      body?: unknown,
    ) => {
      const target = url.replace(production, server.url);
      const response = await fetch(target, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      responses.push({ url: target, headers: response.headers, text });
      return { status: response.status, data: text ? (JSON.parse(text) as unknown) : undefined };
    };
    pay = new WxPay({
      appid: keys.appid,
      mchid: keys.mchid,
      publicKey: Buffer.from(keys.merchantCertificatePem),
      privateKey: Buffer.from(keys.merchantPrivateKeyPem),
      key: keys.apiV3Key,
    });
    pay.createHttp({
      post: (url, params, headers) => send("POST", url, headers, params),
      get: (url, headers) => send("GET", url, headers),
      upload: () => Promise.reject(new Error("not used")),
    });
  });

  afterAll(async () => {
    await sim.close();
    await server.close();
  });

  it("places a Native order, verifies the simulator's signatures and decrypts its callback", async () => {
    const verdicts: Array<{ verified: boolean; resource: unknown }> = [];
    const merchant = await recorder(async (r) => {
      const verified = await pay.verifySign({
        timestamp: r.headers["wechatpay-timestamp"] ?? "",
        nonce: r.headers["wechatpay-nonce"] ?? "",
        serial: r.headers["wechatpay-serial"] ?? "",
        signature: r.headers["wechatpay-signature"] ?? "",
        body: r.body,
      });
      const { resource } = JSON.parse(r.body) as { resource: Record<string, string> };
      const plain = pay.decipher_gcm(
        resource.ciphertext ?? "",
        resource.associated_data ?? "",
        resource.nonce ?? "",
      );
      verdicts.push({ verified, resource: plain });
      return { status: verified ? 200 : 401, body: "" };
    });
    try {
      const outTradeNo = `SDKWX${Date.now()}`;
      const created = await pay.transactions_native({
        description: "SDK 测试",
        out_trade_no: outTradeNo,
        notify_url: `${merchant.url}/notify`,
        amount: { total: 1 },
      });
      expect(created.status).toBe(200);
      expect(created.data.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\/up\?pr=/);
      const answer = responses.at(-1);
      expect(
        await pay.verifySign({
          timestamp: answer?.headers.get("wechatpay-timestamp") ?? "",
          nonce: answer?.headers.get("wechatpay-nonce") ?? "",
          serial: answer?.headers.get("wechatpay-serial") ?? "",
          signature: answer?.headers.get("wechatpay-signature") ?? "",
          body: answer?.text ?? "",
        }),
      ).toBe(true);

      const pending = await pay.query({ out_trade_no: outTradeNo });
      expect(pending).toMatchObject({ status: 200, data: { trade_state: "NOTPAY" } });

      await fetch(`${server.url}/__sim/orders/${outTradeNo}/pay`, {
        method: "POST",
        body: JSON.stringify({ callback: { probe: true } }),
      });
      await until(() => verdicts.length === 2);
      expect(verdicts[0]?.verified).toBe(false);
      expect(verdicts[1]).toMatchObject({
        verified: true,
        resource: { out_trade_no: outTradeNo, trade_state: "SUCCESS" },
      });

      const refund = await pay.refunds({
        out_trade_no: outTradeNo,
        out_refund_no: `${outTradeNo}R`,
        amount: { refund: 1, total: 1, currency: "CNY" },
      });
      expect(refund).toMatchObject({ status: 200, data: { status: "PROCESSING" } });
      expect(await pay.find_refunds(`${outTradeNo}R`)).toMatchObject({
        status: 200,
        data: { amount: { refund: 1 } },
      });
      expect(await pay.close(outTradeNo)).toMatchObject({ status: 400 });
    } finally {
      await merchant.close();
    }
  });
});
