import type { IncomingMessage, ServerResponse } from "node:http";
import Router from "@koa/router";
import Koa from "koa";
import { wechatCallbackRetryDelaysMs } from "../../limits.js";
import { createApiFaultQueue } from "../../sandbox/apiFaults.js";
import { createCallbackDelivery, type CallbackDelivery } from "../../sandbox/callbackDelivery.js";
import type { WechatPaySandboxKeys } from "../../sandbox/keys.js";
import { simulatorFrame, type SimulatorState } from "../../sandbox/koa.js";
import { encryptAesGcm } from "../aead.js";
import { randomAlphanumeric } from "../../random.js";
import { formatRfc3339Beijing, systemClock, type Clock } from "../../time.js";
import { merchantAuth } from "./auth.js";
import { applyTradeBill, downloadBillFile, type StoredBill } from "./bills.js";
import { WechatSim } from "./context.js";
import { controlRouter } from "./control.js";
import { closeOrder, createOrder, injectedFault, queryOrder } from "./orders.js";
import { PlatformKeys, platformKeyOf, type PlatformKeyMode } from "./platform.js";
import { createRefund, queryRefund } from "./refunds.js";
import { WechatStore } from "./state.js";
import { h5Cashier } from "./wallet.js";

export interface WechatPaySimulatorOptions {
  keys: WechatPaySandboxKeys;
  now?: Clock;
  /** Prefix the host server mounts the simulator under, e.g. `/sandbox/wechatpay`. */
  mountPath?: string;
  /** The simulator's public URL (for `h5_url`, `download_url`); default: from the request's Host. */
  publicBaseUrl?: string;
  retryDelaysMs?: readonly number[];
  /** Multiplies WeChat's callback retry intervals; 0.001 makes 15 s into 15 ms. */
  retryScale?: number;
  /** Emit v2-era spellings (ORDERPAID, ORDERNOTEXIST…). */
  legacyErrorCodes?: boolean;
  /** `public_key`: `Wechatpay-Serial` carries a `PUB_KEY_ID_…` instead of a certificate serial. */
  platformKeyMode?: PlatformKeyMode;
  /** Refunds settle (PROCESSING → SUCCESS) after this many real ms; null: only via the control API. */
  refundSettleDelayMs?: number | null;
  /** Orders above this answer 403 RULE_LIMIT. */
  amountFenMax?: bigint;
  /** The merchant's balance for refunds; past it 403 NOT_ENOUGH. Unlimited when absent. */
  merchantBalanceFen?: bigint;
  fetch?: typeof fetch;
}

export interface WechatPaySimulator {
  /** Mount in any node:http server, or pass to `http.createServer`. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  readonly delivery: CallbackDelivery;
  /** `Wechatpay-Serial` of the current platform key (a `PUB_KEY_ID_…` in public-key mode). */
  currentSerial(): string;
  /** Stops callback retries and refund timers. */
  close(): Promise<void>;
}

export function createWechatPaySimulator(options: WechatPaySimulatorOptions): WechatPaySimulator {
  const now = options.now ?? systemClock;
  const delivery = createCallbackDelivery({
    retryDelaysMs: options.retryDelaysMs ?? wechatCallbackRetryDelaysMs,
    retryScale: options.retryScale ?? 1,
    now,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const platform = new PlatformKeys(
    platformKeyOf(options.keys.platformPrivateKeyPem, options.keys.platformCertificatePem),
    options.platformKeyMode ?? "certificate",
  );
  const sim = new WechatSim(
    options.keys,
    platform,
    new WechatStore(now),
    delivery,
    createApiFaultQueue(),
    now,
    {
      legacyErrorCodes: options.legacyErrorCodes ?? false,
      refundSettleDelayMs: options.refundSettleDelayMs === undefined ? 50 : options.refundSettleDelayMs,
      amountFenMax: options.amountFenMax ?? null,
      merchantBalanceFen: options.merchantBalanceFen ?? null,
    },
  );
  const bills = new Map<string, StoredBill>();

  const api = new Router<SimulatorState>({ prefix: "/v3", sensitive: true });
  api.use(merchantAuth(sim));
  api.post("/pay/transactions/native", createOrder(sim, "NATIVE"));
  api.post("/pay/transactions/jsapi", createOrder(sim, "JSAPI"));
  api.post("/pay/transactions/h5", createOrder(sim, "MWEB"));
  api.get("/pay/transactions/out-trade-no/:id", queryOrder(sim, "out_trade_no"));
  api.get("/pay/transactions/id/:id", queryOrder(sim, "transaction_id"));
  api.post("/pay/transactions/out-trade-no/:id/close", closeOrder(sim));
  api.post("/refund/domestic/refunds", createRefund(sim));
  api.get("/refund/domestic/refunds/:id", queryRefund(sim));
  api.get("/bill/tradebill", applyTradeBill(sim, bills));
  api.get("/billdownload/file", downloadBillFile(sim, bills));
  api.get("/certificates", (ctx) => {
    if (injectedFault(sim, ctx, "certificates")) return;
    const data = platform.all().map((key) => {
      const nonce = randomAlphanumeric(12);
      return {
        serial_no: key.serial,
        effective_time: formatRfc3339Beijing(key.effectiveAtMs),
        expire_time: formatRfc3339Beijing(key.expiresAtMs),
        encrypt_certificate: {
          algorithm: "AEAD_AES_256_GCM",
          nonce,
          associated_data: "certificate",
          ciphertext: encryptAesGcm(key.certificatePem, options.keys.apiV3Key, nonce, "certificate"),
        },
      };
    });
    sim.respond(ctx, 200, { data });
  });

  const app = new Koa<SimulatorState>();
  app.silent = true;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const status =
        typeof (error as { status?: unknown }).status === "number"
          ? (error as { status: number }).status
          : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (ctx.path.startsWith("/v3/") && status >= 500) return sim.fail(ctx, "SYSTEM_ERROR", message);
      ctx.status = status;
      ctx.body = { code: status >= 500 ? "SYSTEM_ERROR" : "PARAM_ERROR", message };
    }
  });
  app.use(simulatorFrame(options.mountPath ?? "", options.publicBaseUrl));
  app.use(api.routes());
  app.use(api.allowedMethods());
  const cashier = new Router<SimulatorState>({ sensitive: true });
  cashier.get("/cgi-bin/mmpayweb-bin/checkmweb", h5Cashier(sim));
  app.use(cashier.routes());
  const control = controlRouter(sim);
  app.use(control.routes());
  app.use(control.allowedMethods());

  return {
    listener: app.callback(),
    delivery,
    currentSerial: () => platform.currentSerialHeader(),
    async close() {
      for (const timer of sim.timers) clearTimeout(timer);
      sim.timers.clear();
      await delivery.close();
    },
  };
}
