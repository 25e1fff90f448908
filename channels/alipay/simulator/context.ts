import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import type { ApiFaultQueue } from "../../sandbox/apiFaults.js";
import type { CallbackDelivery, CallbackFaults } from "../../sandbox/callbackDelivery.js";
import type { AlipaySandboxKeys } from "../../sandbox/keys.js";
import type { SimulatorContext } from "../../sandbox/koa.js";
import { signSha256WithRsa } from "../../rsa.js";
import type { Clock } from "../../time.js";
import type { AlipayStore } from "./state.js";

export interface AlipaySimConfig {
  hideUnscannedTrades: boolean;
  amountFenMax: bigint | null;
  merchantBalanceFen: bigint | null;
}

export interface AlipayFailure {
  code: "20000" | "40001" | "40002" | "40004" | "40006";
  subCode: string;
  subMsg: string;
}

const gatewayMessages: Record<AlipayFailure["code"], string> = {
  "20000": "Service Currently Unavailable",
  "40001": "Missing Required Arguments",
  "40002": "Invalid Arguments",
  "40004": "Business Failed",
  "40006": "Insufficient Permissions",
};

export class AlipaySim {
  readonly appPublicKey: KeyObject;
  readonly alipayPrivateKey: KeyObject;
  defaultCallbackFaults: CallbackFaults = {};

  constructor(
    readonly keys: AlipaySandboxKeys,
    readonly store: AlipayStore,
    readonly delivery: CallbackDelivery,
    readonly apiFaults: ApiFaultQueue,
    readonly now: Clock,
    readonly config: AlipaySimConfig,
  ) {
    this.appPublicKey = createPublicKey(keys.appPublicKeyPem);
    this.alipayPrivateKey = createPrivateKey(keys.alipayPrivateKeyPem);
  }

  /**
   * `{"<method>_response":{…},"sign":"…"}`; the signature covers the exact object text sent,
   * which escapes `/` as `\/` like the real gateway.
   */
  respond(ctx: SimulatorContext, responseKey: string, payload: Record<string, unknown>): void {
    const content = JSON.stringify(payload).replaceAll("/", "\\/");
    const sign = signSha256WithRsa(this.alipayPrivateKey, content);
    ctx.status = 200;
    ctx.type = "text/html;charset=utf-8";
    ctx.body = `{"${responseKey}":${content},"sign":"${sign}"}`;
  }

  succeed(ctx: SimulatorContext, method: string, fields: Record<string, unknown>): void {
    this.respond(ctx, responseKeyOf(method), { code: "10000", msg: "Success", ...fields });
  }

  fail(
    ctx: SimulatorContext,
    method: string | null,
    failure: AlipayFailure,
    fields: Record<string, unknown> = {},
  ) {
    const payload = {
      code: failure.code,
      msg: gatewayMessages[failure.code],
      sub_code: failure.subCode,
      sub_msg: failure.subMsg,
      ...fields,
    };
    this.respond(ctx, method ? responseKeyOf(method) : "error_response", payload);
  }
}

export function responseKeyOf(method: string): string {
  return `${method.replaceAll(".", "_")}_response`;
}

export function business(subCode: string, subMsg: string): AlipayFailure {
  return { code: "40004", subCode, subMsg };
}

export function invalidArguments(subCode: string, subMsg: string): AlipayFailure {
  return { code: "40002", subCode, subMsg };
}
