import type { KeyObject } from "node:crypto";
import { ChannelError } from "../errors.js";
import { channelLimits } from "../limits.js";
import { toPrivateKey, toPublicKey, verifySha256WithRsa, type KeyInput } from "../rsa.js";
import { formatBeijingDateTime, systemClock, type Clock } from "../time.js";
import { channelErrorFromAlipay } from "./errorCodes.js";
import { extractSignedResponse } from "./response.js";
import { signAlipayParams } from "./signing.js";

export const alipayProductionGateway = "https://openapi.alipay.com/gateway.do";

export interface AlipayClientConfig {
  /** Full gateway URL: production `https://openapi.alipay.com/gateway.do`, or the simulator's `…/gateway.do`. */
  gateway?: string;
  appId: string;
  appPrivateKey: KeyInput;
  alipayPublicKey: KeyInput;
  /** The merchant's `2088…` user id; when set, notifies for another seller are refused. */
  sellerId?: string;
  now?: Clock;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Common parameters go in the URL, `biz_content` in the form body — as Alipay's own SDK sends them. */
const bodyParams = new Set(["biz_content"]);

export type AlipayResponse = Record<string, unknown> & { code: string; msg: string };

export class AlipayClient {
  readonly appId: string;
  readonly sellerId: string | undefined;
  readonly gateway: string;
  readonly now: Clock;
  readonly alipayPublicKey: KeyObject;
  readonly #privateKey: KeyObject;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(config: AlipayClientConfig) {
    this.appId = config.appId;
    this.sellerId = config.sellerId;
    this.gateway = config.gateway ?? alipayProductionGateway;
    this.now = config.now ?? systemClock;
    this.alipayPublicKey = toPublicKey(config.alipayPublicKey);
    this.#privateKey = toPrivateKey(config.appPrivateKey);
    this.#timeoutMs = config.timeoutMs ?? channelLimits.httpTimeoutMs;
    this.#fetch = config.fetch ?? fetch;
  }

  /** The full signed parameter set for `method`. Empty values are never sent (Java SDKs drop them). */
  signedParams(
    method: string,
    biz: Record<string, unknown>,
    extra: Record<string, string> = {},
  ): Record<string, string> {
    const params: Record<string, string> = {
      app_id: this.appId,
      method,
      format: "JSON",
      charset: "utf-8",
      sign_type: "RSA2",
      timestamp: formatBeijingDateTime(this.now()),
      version: "1.0",
      biz_content: JSON.stringify(biz),
    };
    for (const [key, value] of Object.entries(extra)) if (value !== "") params[key] = value;
    params.sign = signAlipayParams(params, this.#privateKey);
    return params;
  }

  /** A server-to-server call; answers the verified `<method>_response` object when `code` is `10000`. */
  async execute(
    method: string,
    biz: Record<string, unknown>,
    extra?: Record<string, string>,
  ): Promise<AlipayResponse> {
    const params = this.signedParams(method, biz, extra);
    const url = new URL(this.gateway);
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (bodyParams.has(key)) form.set(key, value);
      else url.searchParams.set(key, value);
    }
    let text: string;
    let status: number;
    try {
      const response = await this.#fetch(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
          Accept: "application/json",
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ChannelError("channel_unavailable", "alipay", `Alipay ${method}: ${reason}`);
    }
    if (status !== 200) {
      throw new ChannelError(
        "channel_unavailable",
        "alipay",
        `Alipay ${method}: HTTP ${status}`,
        undefined,
        status,
      );
    }
    return this.#verified(method, text);
  }

  /** Browser flows (`page.pay`, `wap.pay`): a signed GET URL and the equivalent auto-submitting form. */
  pageRequest(method: string, biz: Record<string, unknown>, extra?: Record<string, string>) {
    const params = this.signedParams(method, biz, extra);
    const url = new URL(this.gateway);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const action = new URL(this.gateway);
    action.searchParams.set("charset", "utf-8");
    const inputs = Object.entries(params)
      .map(([key, value]) => `<input type="hidden" name="${escapeHtml(key)}" value="${escapeHtml(value)}">`)
      .join("");
    const formHtml =
      `<form id="alipaysubmit" name="alipaysubmit" action="${escapeHtml(action.toString())}" method="POST">` +
      `${inputs}</form><script>document.forms["alipaysubmit"].submit();</script>`;
    return { url: url.toString(), formHtml };
  }

  async download(url: string): Promise<Uint8Array> {
    try {
      const response = await this.#fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs) });
      if (response.status !== 200) {
        throw new ChannelError("bill_not_found", "alipay", `bill download: HTTP ${response.status}`);
      }
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (error instanceof ChannelError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new ChannelError("channel_unavailable", "alipay", `bill download: ${reason}`);
    }
  }

  #verified(method: string, text: string): AlipayResponse {
    const responseKey = `${method.replaceAll(".", "_")}_response`;
    const signed = extractSignedResponse(text, responseKey);
    if (!signed) {
      throw new ChannelError(
        "channel_unavailable",
        "alipay",
        `Alipay ${method}: no ${responseKey} in answer`,
      );
    }
    const body = JSON.parse(signed.content) as Record<string, unknown>;
    const code = typeof body.code === "string" ? body.code : "";
    const msg = typeof body.msg === "string" ? body.msg : "";
    // Unsigned answers are only believed when they are failures: they cannot move money.
    if (signed.sign !== undefined || code === "10000") {
      if (!signed.sign || !verifySha256WithRsa(this.alipayPublicKey, signed.content, signed.sign)) {
        throw new ChannelError(
          "response_signature_invalid",
          "alipay",
          `Alipay ${method}: response sign invalid`,
        );
      }
    }
    if (code !== "10000") {
      const subCode = typeof body.sub_code === "string" ? body.sub_code : "";
      const subMsg = typeof body.sub_msg === "string" ? body.sub_msg : "";
      throw channelErrorFromAlipay(method, code, msg, subCode, subMsg);
    }
    return { ...body, code, msg };
  }
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}
