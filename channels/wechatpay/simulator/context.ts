import { createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import type { ApiFaultQueue } from "../../sandbox/apiFaults.js";
import type { CallbackDelivery, CallbackFaults } from "../../sandbox/callbackDelivery.js";
import type { WechatPaySandboxKeys } from "../../sandbox/keys.js";
import type { SimulatorContext } from "../../sandbox/koa.js";
import { randomAlphanumeric } from "../../random.js";
import { signSha256WithRsa } from "../../rsa.js";
import type { Clock } from "../../time.js";
import { responseSignMessage } from "../signing.js";
import {
  defaultMessages,
  requestIdSubCodes,
  spell,
  wechatErrorStatus,
  type WechatErrorCode,
} from "./errors.js";
import type { PlatformKeys } from "./platform.js";
import type { WechatStore } from "./state.js";

export interface WechatSimConfig {
  legacyErrorCodes: boolean;
  refundSettleDelayMs: number | null;
  amountFenMax: bigint | null;
  merchantBalanceFen: bigint | null;
}

/** Everything a simulator route needs. */
export class WechatSim {
  readonly merchantPublicKey: KeyObject;
  readonly merchantSerial: string;
  /** Applied to every callback until reset through the control API. */
  defaultCallbackFaults: CallbackFaults = {};
  readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly keys: WechatPaySandboxKeys,
    readonly platform: PlatformKeys,
    readonly store: WechatStore,
    readonly delivery: CallbackDelivery,
    readonly apiFaults: ApiFaultQueue,
    readonly now: Clock,
    readonly config: WechatSimConfig,
  ) {
    const certificate = new X509Certificate(keys.merchantCertificatePem);
    this.merchantPublicKey = createPublicKey(certificate.publicKey.export({ type: "spki", format: "pem" }));
    this.merchantSerial = certificate.serialNumber.toUpperCase();
  }

  /** Signs `body` as WeChat signs responses and callbacks; answers the `Wechatpay-*` headers. */
  signedHeaders(body: string, timestampSec = Math.floor(this.now() / 1000)): Record<string, string> {
    const nonce = randomAlphanumeric(32);
    const timestamp = String(timestampSec);
    return {
      "Wechatpay-Nonce": nonce,
      "Wechatpay-Timestamp": timestamp,
      "Wechatpay-Serial": this.platform.currentSerialHeader(),
      "Wechatpay-Signature": signSha256WithRsa(
        this.platform.current.privateKey,
        responseSignMessage(timestamp, nonce, body),
      ),
    };
  }

  requestId(subCode = "0"): string {
    return `${randomAlphanumeric(24).toUpperCase()}-${subCode}`;
  }

  respond(ctx: SimulatorContext, status: number, payload: unknown, subCode?: string): void {
    const body = payload === undefined ? "" : JSON.stringify(payload);
    ctx.status = status;
    ctx.set(this.signedHeaders(body));
    ctx.set("Request-ID", this.requestId(subCode));
    if (body === "") {
      ctx.body = null;
      ctx.status = status;
      return;
    }
    ctx.type = "application/json; charset=utf-8";
    ctx.body = body;
  }

  fail(
    ctx: SimulatorContext,
    code: WechatErrorCode,
    message?: string,
    detail?: unknown,
    subCode?: string,
  ): void {
    const payload = {
      code: spell(code, this.config.legacyErrorCodes),
      message: message ?? defaultMessages[code] ?? code,
      ...(detail === undefined ? {} : { detail }),
    };
    this.respond(ctx, wechatErrorStatus[code], payload, subCode ?? requestIdSubCodes[code]);
  }

  later(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delayMs);
    this.timers.add(timer);
  }
}
