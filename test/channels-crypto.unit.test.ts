import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { fc, test as property } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  alipay,
  channelLimits,
  createMemoryNonceStore,
  fenToYuan,
  generateWechatPaySandboxKeys,
  wechatpay,
  yuanToFen,
} from "../channels/index.js";
import { decodeGbk, encodeGbk } from "../channels/gbk.js";
import { signSha256WithRsa, verifySha256WithRsa } from "../channels/rsa.js";
import { createZip, readZip } from "../channels/zip.js";

const keys = generateWechatPaySandboxKeys({ mchid: "1900000109", appid: "wxd678efh567hg6787" });
const merchantPrivateKey = createPrivateKey(keys.merchantPrivateKeyPem);
const merchantKey = { privateKey: merchantPrivateKey, publicKey: createPublicKey(merchantPrivateKey) };

describe("WeChat Pay AEAD_AES_256_GCM", () => {
  it("decrypts the SDK's test vector (16-byte key ⇒ AES-128-GCM)", () => {
    const plaintext = wechatpay.decryptAesGcm(
      {
        ciphertext: "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC",
        nonce: "wCq51qZv4Yfg",
        associatedData: "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8",
      },
      "testAPIv3Key0000",
    );
    expect(plaintext).toBe("Hello World");
  });

  it("round-trips with a 32-character APIv3 key and refuses tampered data", () => {
    const ciphertext = wechatpay.encryptAesGcm(
      '{"a":"支付成功"}',
      keys.apiV3Key,
      "abcdefghijkl",
      "transaction",
    );
    const resource = { ciphertext, nonce: "abcdefghijkl", associatedData: "transaction" };
    expect(wechatpay.decryptAesGcm(resource, keys.apiV3Key)).toBe('{"a":"支付成功"}');
    expect(() => wechatpay.decryptAesGcm({ ...resource, associatedData: "refund" }, keys.apiV3Key)).toThrow();
    const flipped = Buffer.from(ciphertext, "base64");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() =>
      wechatpay.decryptAesGcm({ ...resource, ciphertext: flipped.toString("base64") }, keys.apiV3Key),
    ).toThrow();
  });
});

describe("WeChat Pay request signing", () => {
  it("builds the five-line message; a GET ends with an empty body line", () => {
    expect(
      wechatpay.requestSignMessage(
        "GET",
        "/v3/certificates",
        "1554208460",
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        "",
      ),
    ).toBe("GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n");
  });

  it("round-trips the Authorization header and its signature", () => {
    const message = wechatpay.requestSignMessage(
      "POST",
      "/v3/pay/transactions/native",
      "1554208460",
      "n0nce",
      "{}",
    );
    const signature = signSha256WithRsa(merchantKey.privateKey, message);
    const header = wechatpay.buildAuthorization({
      mchid: "1900000109",
      nonce_str: "n0nce",
      timestamp: "1554208460",
      serial_no: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
      signature,
    });
    expect(header.startsWith('WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="n0nce"')).toBe(true);
    const parsed = wechatpay.parseAuthorization(header);
    expect(parsed?.serial_no).toBe("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C");
    expect(verifySha256WithRsa(merchantKey.publicKey, message, parsed?.signature ?? "")).toBe(true);
    expect(wechatpay.parseAuthorization("Bearer x")).toBeNull();
  });
});

describe("WeChat Pay response and callback signatures", () => {
  const ring = new wechatpay.PlatformKeyRing();
  const serial = ring.addCertificate(keys.platformCertificatePem);
  const nowMs = 1_700_000_000_000;
  const body = '{"id":"EV-1"}';
  const signed = (timestamp: number, overrides: Record<string, string> = {}) => {
    const nonce = "nonce-1";
    const message = wechatpay.responseSignMessage(String(timestamp), nonce, body);
    return {
      "wechatpay-timestamp": String(timestamp),
      "wechatpay-nonce": nonce,
      "wechatpay-serial": serial,
      "wechatpay-signature": signSha256WithRsa(createPrivateKey(keys.platformPrivateKeyPem), message),
      ...overrides,
    };
  };
  const check = (headers: Record<string, string>) =>
    wechatpay.checkWechatSignature(headers, body, ring, nowMs, channelLimits.wechatCallbackSkewMsMax);

  it("accepts a fresh, correctly signed message", () => {
    expect(check(signed(nowMs / 1000)).ok).toBe(true);
  });

  it("names each way a message fails", () => {
    const reason = (headers: Record<string, string>) => {
      const result = check(headers);
      return result.ok ? "ok" : result.reason;
    };
    expect(reason(signed(nowMs / 1000 - 301))).toBe("stale_timestamp");
    expect(reason(signed(nowMs / 1000 + 301))).toBe("stale_timestamp");
    expect(reason(signed(nowMs / 1000, { "wechatpay-serial": "PUB_KEY_ID_0000" }))).toBe("unknown_serial");
    expect(reason(signed(nowMs / 1000, { "wechatpay-signature": "WECHATPAY/SIGNTEST/abc" }))).toBe(
      "signature_probe",
    );
    const good = signed(nowMs / 1000);
    expect(reason({ ...good, "wechatpay-nonce": "nonce-2" })).toBe("bad_signature");
    expect(reason({ "wechatpay-timestamp": "1" })).toBe("malformed");
  });
});

describe("WeChat Pay JSAPI parameters", () => {
  it("signs appId\\ntimeStamp\\nnonceStr\\npackage\\n with the merchant key", () => {
    const params = wechatpay.buildJsapiPayParams(
      "wxd678efh567hg6787",
      "wx2014102720093955",
      1_414_561_699_000,
      (m) => signSha256WithRsa(merchantKey.privateKey, m),
    );
    expect(params).toMatchObject({
      timeStamp: "1414561699",
      package: "prepay_id=wx2014102720093955",
      signType: "RSA",
    });
    expect(params.nonceStr).toMatch(/^[0-9A-Za-z]{32}$/);
    const message = wechatpay.jsapiSignMessage(
      params.appId,
      params.timeStamp,
      params.nonceStr,
      params.package,
    );
    expect(verifySha256WithRsa(merchantKey.publicKey, message, params.paySign)).toBe(true);
  });
});

describe("Alipay async notify verification", () => {
  // A real 2019 notify and the Alipay public key it was signed with (alipay-sdk-nodejs-all test suite).
  const alipayPublicKey = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqObrdC7hrgAVM98tK0nv3hSQRGGKT4lBsQjHiGjeYZjOPIPHR5knm2jnnz/YGIXIofVHkA/tAlBAd5DrY7YpvI4tP5EONLtZKC2ghBMx7McI2wRD0xiqzxOQr1FuhZGJ8/AUokBzJrzY+aGX2xcOrxFYRlFilvVLTXg4LWjR1tdPkO6+i7wQZAIVMClPkwVRZEbaERRHlKqTzv2gGv5rDU8gRoe1LeaN+6BlbTqHWkQcNCUNrA8C6l17XAXGKDsm/9TFWwO8EPHHHCaQdjtV5/FdcWIt+L8SR1ss7EXTjYDFtxcKVv9rEoY1lX8T4mX+GbXfZHraG5NCF1+XioL5JwIDAQAB
-----END PUBLIC KEY-----`;
  const notify: Record<string, string> = {
    gmt_create: "2019-08-15 15:56:22",
    charset: "utf-8",
    seller_email: "z97-yuquerevenue@service.aliyun.com",
    subject: "语雀空间 500人规模",
    sign: "QfTb8tqE1BMhS5qAnXtvsF3/jBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb/nLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8/wZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r/U8ONNQjWXd0HIul4TG+Q3fm3svmSvFEy0WnzuhcyHPX5Gm4ELNctL6Qd5YniGJFNcc7kopHYtI/XD9YCKCH6Ct02rzUs9i11C9CsadtZn+WhxF26Dqt9sGEFajkJ8cxUTLi8+VCpLHsgPE8P0y095uQcDdK0YjCh4x7wVSov+lrmOQ==",
    buyer_id: "2088102534368455",
    invoice_amount: "0.10",
    notify_id: "2019081500222155624068450559358070",
    fund_bill_list: '[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]',
    notify_type: "trade_status_sync",
    trade_status: "TRADE_SUCCESS",
    receipt_amount: "0.10",
    buyer_pay_amount: "0.10",
    sign_type: "RSA2",
    app_id: "2019073166072302",
    seller_id: "2088531891668739",
    gmt_payment: "2019-08-15 15:56:24",
    notify_time: "2019-08-15 15:56:25",
    version: "1.0",
    out_trade_no: "20190815155618536-564-57",
    total_amount: "0.10",
    trade_no: "2019081522001468450512505578",
    auth_app_id: "2019073166072302",
    buyer_logon_id: "xud***@126.com",
    point_amount: "0.00",
  };
  const client = new alipay.AlipayClient({
    appId: "2019073166072302",
    appPrivateKey: merchantKey.privateKey,
    alipayPublicKey,
    sellerId: "2088531891668739",
  });

  it("verifies the real notify with sign and sign_type excluded, not with sign_type kept", () => {
    const publicKey = client.alipayPublicKey;
    expect(alipay.verifyAlipayParams(notify, publicKey, alipay.notifySignExclusions)).toBe(true);
    expect(alipay.verifyAlipayParams(notify, publicKey, ["sign"])).toBe(false);
  });

  it("parses the form body into a payment_succeeded notification", () => {
    const result = alipay.parseAlipayCallback(client, new URLSearchParams(notify).toString());
    expect(result.accepted).toBe(true);
    if (!result.accepted) return;
    expect(result.ack).toEqual({ status: 200, contentType: "text/plain; charset=utf-8", body: "success" });
    expect(result.notification).toMatchObject({
      type: "payment_succeeded",
      transactionId: "2019081522001468450512505578",
      amountFen: 10n,
      paidAt: new Date("2019-08-15T07:56:24Z"),
    });
  });

  it("rejects a changed amount and another seller", () => {
    const forged = alipay.parseAlipayCallback(
      client,
      new URLSearchParams({ ...notify, total_amount: "100.00" }).toString(),
    );
    expect(forged).toMatchObject({ accepted: false, rejection: "bad_signature", ack: { body: "fail" } });
    const other = new alipay.AlipayClient({
      appId: "2019073166072302",
      appPrivateKey: merchantKey.privateKey,
      alipayPublicKey,
      sellerId: "2088000000000000",
    });
    expect(alipay.parseAlipayCallback(other, new URLSearchParams(notify).toString())).toMatchObject({
      rejection: "wrong_merchant",
    });
  });
});

describe("Alipay request signing and response extraction", () => {
  it("sorts keys, drops empty values and `sign`", () => {
    const content = alipay.alipaySignContent(
      { method: "alipay.trade.query", app_id: "2021", sign: "x", biz_content: '{"a":1}', notify_url: "" },
      alipay.requestSignExclusions,
    );
    expect(content).toBe('app_id=2021&biz_content={"a":1}&method=alipay.trade.query');
  });

  it("cuts the exact signed text out of the answer, escaped slashes and braces in strings included", () => {
    const inner = '{"code":"10000","msg":"Success","qr_code":"https:\\/\\/qr.alipay.com\\/x","note":"} {"}';
    const raw = `{"alipay_trade_precreate_response":${inner},"sign":"abc"}`;
    expect(alipay.extractSignedResponse(raw, "alipay_trade_precreate_response")).toEqual({
      key: "alipay_trade_precreate_response",
      content: inner,
      sign: "abc",
    });
    const error = alipay.extractSignedResponse('{"error_response":{"code":"40002"}}', "x_response");
    expect(error).toEqual({ key: "error_response", content: '{"code":"40002"}' });
  });
});

describe("money at the channel edge", () => {
  it("converts fen to yuan strings exactly", () => {
    expect(fenToYuan(1n)).toBe("0.01");
    expect(fenToYuan(8888n)).toBe("88.88");
    expect(fenToYuan(10_000_000_000n)).toBe("100000000.00");
    expect(yuanToFen("0.10")).toBe(10n);
    expect(yuanToFen("88.8")).toBe(8880n);
    expect(yuanToFen("0.001")).toBeNull();
    expect(yuanToFen("-1.00")).toBeNull();
    expect(yuanToFen("1e3")).toBeNull();
  });

  property.prop([fc.bigInt({ min: 0n, max: 10n ** 15n })])("yuanToFen(fenToYuan(x)) = x", (fen) => {
    expect(yuanToFen(fenToYuan(fen))).toBe(fen);
  });
});

describe("replay protection", () => {
  it("refuses a nonce seen within its window and forgets it after", () => {
    const store = createMemoryNonceStore(10);
    expect(store.remember("a", 1_000, 0)).toBe(true);
    expect(store.remember("a", 1_000, 500)).toBe(false);
    expect(store.remember("a", 2_000, 1_500)).toBe(true);
  });

  it("stays within its bound", () => {
    const store = createMemoryNonceStore(3);
    for (const nonce of ["a", "b", "c", "d"]) expect(store.remember(nonce, 10_000, 0)).toBe(true);
    // "a" was evicted to make room: the bound costs memory of the oldest nonce, never growth.
    expect(store.remember("a", 10_000, 1)).toBe(true);
    expect(store.remember("d", 10_000, 1)).toBe(false);
  });
});

describe("sandbox certificates, GBK and zip", () => {
  it("issues X.509 certificates whose serial is WeChat's 40 hex digits", () => {
    const certificate = new X509Certificate(keys.merchantCertificatePem);
    expect(certificate.serialNumber.toUpperCase()).toBe(keys.merchantSerial);
    expect(keys.merchantSerial).toMatch(/^[0-9A-F]{40}$/);
    expect(certificate.checkPrivateKey(createPrivateKey(keys.merchantPrivateKeyPem))).toBe(true);
    expect(wechatpay.certificateSerial(keys.platformCertificatePem)).toBe(keys.platformSerial);
  });

  it("round-trips GBK text through a zip with GBK entry names", () => {
    const name = encodeGbk("2088_20190916_业务明细.csv");
    const data = encodeGbk("#支付宝业务明细查询\r\n支付宝交易号,商户订单号\r\n");
    const [entry] = readZip(createZip([{ name, data }], Date.UTC(2019, 8, 17, 9)));
    expect(entry?.name).toBe("2088_20190916_业务明细.csv");
    expect(decodeGbk(entry?.data ?? Buffer.alloc(0))).toBe(
      "#支付宝业务明细查询\r\n支付宝交易号,商户订单号\r\n",
    );
    expect(encodeGbk("支付").equals(Buffer.from([0xd6, 0xa7, 0xb8, 0xb6]))).toBe(true);
  });
});
