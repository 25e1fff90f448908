import { X509Certificate, type KeyObject } from "node:crypto";
import type { z } from "zod";
import { ChannelError } from "../errors.js";
import { channelLimits } from "../limits.js";
import { randomAlphanumeric } from "../random.js";
import { signSha256WithRsa, toPrivateKey, type KeyInput } from "../rsa.js";
import { systemClock, type Clock } from "../time.js";
import type { CallbackHeaders } from "../types.js";
import { decryptAesGcm } from "./aead.js";
import { channelErrorFromWechat, type WechatOperation } from "./errorCodes.js";
import { PlatformKeyRing } from "./platformKeys.js";
import {
  certificatesResponseSchema,
  errorBodySchema,
  h5ResponseSchema,
  jsapiResponseSchema,
  nativeResponseSchema,
  refundSchema,
  tradeBillResponseSchema,
  transactionSchema,
  type Refund,
  type Transaction,
} from "./schemas.js";
import { buildAuthorization, requestSignMessage } from "./signing.js";
import { checkWechatSignature, type SignatureCheck } from "./verifier.js";

export const wechatPayProductionBaseUrl = "https://api.mch.weixin.qq.com";

export interface WechatPayClientConfig {
  /** Production `https://api.mch.weixin.qq.com`; the simulator's URL in sandbox. */
  baseUrl?: string;
  mchid: string;
  appid: string;
  /** Serial of the merchant API certificate whose private key signs requests. */
  merchantSerial: string;
  merchantPrivateKey: KeyInput;
  /** 32 ASCII characters. */
  apiV3Key: string;
  platformCertificates?: readonly string[];
  /** Public-key mode: `Wechatpay-Serial` is the key id (`PUB_KEY_ID_…`). */
  platformPublicKeys?: ReadonlyArray<{ keyId: string; publicKey: KeyInput }>;
  /** Download `/v3/certificates` when a serial is unknown (certificate mode). Default true. */
  autoFetchCertificates?: boolean;
  now?: Clock;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface WechatResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Signs requests, verifies responses; one method per WeChat Pay v3 operation this layer uses. */
export class WechatPayClient {
  readonly keys = new PlatformKeyRing();
  readonly mchid: string;
  readonly appid: string;
  readonly apiV3Key: string;
  readonly now: Clock;
  readonly #baseUrl: string;
  readonly #serial: string;
  readonly #privateKey: KeyObject;
  readonly #autoFetch: boolean;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(config: WechatPayClientConfig) {
    this.mchid = config.mchid;
    this.appid = config.appid;
    this.apiV3Key = config.apiV3Key;
    this.now = config.now ?? systemClock;
    this.#baseUrl = (config.baseUrl ?? wechatPayProductionBaseUrl).replace(/\/+$/, "");
    this.#serial = config.merchantSerial;
    this.#privateKey = toPrivateKey(config.merchantPrivateKey);
    this.#autoFetch = config.autoFetchCertificates ?? true;
    this.#timeoutMs = config.timeoutMs ?? channelLimits.httpTimeoutMs;
    this.#fetch = config.fetch ?? fetch;
    for (const pem of config.platformCertificates ?? []) this.keys.addCertificate(pem);
    for (const { keyId, publicKey } of config.platformPublicKeys ?? [])
      this.keys.addPublicKey(keyId, publicKey);
  }

  /** Signs `message` with the merchant key (JSAPI `paySign`). */
  sign(message: string): string {
    return signSha256WithRsa(this.#privateKey, message);
  }

  createNativeOrder(body: Record<string, unknown>) {
    return this.#json("create", "POST", "/v3/pay/transactions/native", body, nativeResponseSchema);
  }

  createJsapiOrder(body: Record<string, unknown>) {
    return this.#json("create", "POST", "/v3/pay/transactions/jsapi", body, jsapiResponseSchema);
  }

  createH5Order(body: Record<string, unknown>) {
    return this.#json("create", "POST", "/v3/pay/transactions/h5", body, h5ResponseSchema);
  }

  queryByOutTradeNo(outTradeNo: string): Promise<Transaction> {
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${this.mchid}`;
    return this.#json("query", "GET", path, undefined, transactionSchema);
  }

  queryByTransactionId(transactionId: string): Promise<Transaction> {
    const path = `/v3/pay/transactions/id/${encodeURIComponent(transactionId)}?mchid=${this.mchid}`;
    return this.#json("query", "GET", path, undefined, transactionSchema);
  }

  async closeOrder(outTradeNo: string): Promise<void> {
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`;
    await this.#call("close", "POST", path, { mchid: this.mchid });
  }

  createRefund(body: Record<string, unknown>): Promise<Refund> {
    return this.#json("refund", "POST", "/v3/refund/domestic/refunds", body, refundSchema);
  }

  queryRefund(outRefundNo: string): Promise<Refund> {
    const path = `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`;
    return this.#json("refund_query", "GET", path, undefined, refundSchema);
  }

  applyTradeBill(query: { billDate: string; billType?: "ALL" | "SUCCESS" | "REFUND"; gzip?: boolean }) {
    const params = new URLSearchParams({ bill_date: query.billDate, bill_type: query.billType ?? "ALL" });
    if (query.gzip) params.set("tar_type", "GZIP");
    return this.#json("tradebill", "GET", `/v3/bill/tradebill?${params}`, undefined, tradeBillResponseSchema);
  }

  /** The bill file as served; its response is not signed, so check its SHA1 against `applyTradeBill`. */
  async downloadBill(downloadUrl: string): Promise<Uint8Array> {
    const url = new URL(downloadUrl);
    const full = url.toString();
    const path = full.startsWith(`${this.#baseUrl}/`)
      ? full.slice(this.#baseUrl.length)
      : `${url.pathname}${url.search}`;
    const response = await this.#send("bill_download", "GET", path, "", full);
    if (response.status !== 200) throw this.#errorOf("bill_download", response);
    return new Uint8Array(response.body);
  }

  /** Downloads and decrypts the platform certificates into the key ring; answers their serials. */
  async fetchPlatformCertificates(): Promise<string[]> {
    const response = await this.#call("certificates", "GET", "/v3/certificates", undefined, {
      bootstrap: true,
    });
    const parsed = certificatesResponseSchema.parse(JSON.parse(response.text));
    const serials: string[] = [];
    for (const item of parsed.data) {
      const { ciphertext, nonce, associated_data } = item.encrypt_certificate;
      const pem = decryptAesGcm({ ciphertext, nonce, associatedData: associated_data }, this.apiV3Key);
      serials.push(this.keys.addCertificate(pem));
    }
    // The response was signed by one of the certificates it carries: check it now that we hold them.
    const check = this.verify(response.headers, response.text);
    if (!check.ok) throw this.#signatureError("certificates", check);
    return serials;
  }

  /** Verifies a callback; on an unknown serial fetches the platform certificates once (failures: unknown). */
  async verifyWithRefresh(headers: CallbackHeaders, body: string): Promise<SignatureCheck> {
    const first = this.verify(headers, body);
    if (first.ok || first.reason !== "unknown_serial" || !this.#autoFetch) return first;
    try {
      await this.fetchPlatformCertificates();
    } catch {
      return first;
    }
    return this.verify(headers, body);
  }

  verify(headers: CallbackHeaders | Headers, body: string): SignatureCheck {
    const plain = headers instanceof Headers ? Object.fromEntries(headers.entries()) : headers;
    return checkWechatSignature(plain, body, this.keys, this.now(), channelLimits.wechatCallbackSkewMsMax);
  }

  async #json<T>(
    operation: WechatOperation,
    method: "GET" | "POST",
    path: string,
    body: Record<string, unknown> | undefined,
    schema: z.ZodType<T>,
  ): Promise<T> {
    const response = await this.#call(operation, method, path, body);
    const parsed = schema.safeParse(safeJson(response.text));
    if (!parsed.success) {
      throw new ChannelError(
        "channel_unavailable",
        "wechatpay",
        `WeChat Pay ${operation}: unexpected response body: ${parsed.error.message}`,
        undefined,
        response.status,
      );
    }
    return parsed.data;
  }

  async #call(
    operation: WechatOperation,
    method: "GET" | "POST",
    path: string,
    body: Record<string, unknown> | undefined,
    options: { bootstrap?: boolean } = {},
  ): Promise<WechatResponse> {
    const bodyText = body === undefined ? "" : JSON.stringify(body);
    const raw = await this.#send(operation, method, path, bodyText, `${this.#baseUrl}${path}`);
    const response: WechatResponse = {
      status: raw.status,
      headers: raw.headers,
      text: raw.body.toString("utf8"),
    };
    const unsignedGatewayFailure = response.status >= 500 && !response.headers.has("wechatpay-signature");
    if (!options.bootstrap && !unsignedGatewayFailure) {
      let check = this.verify(response.headers, response.text);
      if (!check.ok && check.reason === "unknown_serial" && this.#autoFetch) {
        // A new platform key: fetch it (failures of that call surface as they are), then check again.
        await this.fetchPlatformCertificates();
        check = this.verify(response.headers, response.text);
      }
      if (!check.ok) throw this.#signatureError(operation, check);
    }
    if (response.status >= 200 && response.status < 300) return response;
    throw this.#errorOf(operation, raw);
  }

  async #send(
    operation: WechatOperation,
    method: "GET" | "POST",
    signedPath: string,
    bodyText: string,
    url: string,
  ): Promise<{ status: number; headers: Headers; body: Buffer }> {
    const timestamp = String(Math.floor(this.now() / 1000));
    const nonce = randomAlphanumeric(32);
    const signature = this.sign(requestSignMessage(method, signedPath, timestamp, nonce, bodyText));
    const headers: Record<string, string> = {
      Authorization: buildAuthorization({
        mchid: this.mchid,
        nonce_str: nonce,
        timestamp,
        serial_no: this.#serial,
        signature,
      }),
      Accept: "application/json",
      "User-Agent": "buffmoney-channels/0.1",
    };
    if (method === "POST") headers["Content-Type"] = "application/json";
    try {
      const response = await this.#fetch(url, {
        method,
        headers,
        ...(method === "POST" ? { body: bodyText } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: Buffer.from(await response.arrayBuffer()),
      };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ChannelError("channel_unavailable", "wechatpay", `WeChat Pay ${operation}: ${reason}`);
    }
  }

  #errorOf(operation: WechatOperation, response: { status: number; body: Buffer }): ChannelError {
    const parsed = errorBodySchema.safeParse(safeJson(response.body.toString("utf8")));
    if (!parsed.success)
      return channelErrorFromWechat(operation, response.status, `HTTP_${response.status}`, "");
    return channelErrorFromWechat(
      operation,
      response.status,
      parsed.data.code,
      parsed.data.message,
      parsed.data.detail,
    );
  }

  #signatureError(operation: WechatOperation, check: Extract<SignatureCheck, { ok: false }>): ChannelError {
    return new ChannelError(
      "response_signature_invalid",
      "wechatpay",
      `WeChat Pay ${operation}: response ${check.reason}: ${check.detail}`,
      check.reason,
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The serial of a certificate PEM, upper-case hex, as WeChat prints it. */
export function certificateSerial(pem: string): string {
  return PlatformKeyRing.normalize(new X509Certificate(pem).serialNumber);
}
