import type { IncomingMessage, ServerResponse } from "node:http";
import Router from "@koa/router";
import Koa from "koa";
import { alipayCallbackRetryDelaysMs } from "../../limits.js";
import { createApiFaultQueue } from "../../sandbox/apiFaults.js";
import { createCallbackDelivery, type CallbackDelivery } from "../../sandbox/callbackDelivery.js";
import type { AlipaySandboxKeys } from "../../sandbox/keys.js";
import { simulatorFrame, type SimulatorContext, type SimulatorState } from "../../sandbox/koa.js";
import { systemClock, type Clock } from "../../time.js";
import { billDownloadUrlQuery, downloadBillFile, type StoredBill } from "./bills.js";
import { renderCashier, renderCashierError } from "./cashier.js";
import { AlipaySim, business, type AlipayFailure } from "./context.js";
import { controlRouter } from "./control.js";
import {
  checkGatewayRequest,
  gatewayParams,
  injectedFailure,
  parseBizContent,
  type GatewayHandler,
} from "./gateway.js";
import { AlipayStore, type AlipayTradeMethod } from "./state.js";
import { close, openCashierTrade, precreate, query, refund, refundQuery } from "./trades.js";

export interface AlipaySimulatorOptions {
  keys: AlipaySandboxKeys;
  now?: Clock;
  /** Prefix the host server mounts the simulator under, e.g. `/sandbox/alipay`. */
  mountPath?: string;
  /** The simulator's public URL (for bill download URLs); default: from the request's Host. */
  publicBaseUrl?: string;
  retryDelaysMs?: readonly number[];
  /** Multiplies Alipay's resend intervals (4m, 10m, 10m, 1h, 2h, 6h, 15h). */
  retryScale?: number;
  /**
   * Precreate trades answer ACQ.TRADE_NOT_EXIST to query/close until the buyer scans (widely reported,
   * unverified). Default true.
   */
  hideUnscannedTrades?: boolean;
  /** Orders above this answer ACQ.BEYOND_PAY_RESTRICTION. */
  amountFenMax?: bigint;
  /** The merchant's balance for refunds; past it ACQ.SELLER_BALANCE_NOT_ENOUGH. Unlimited when absent. */
  merchantBalanceFen?: bigint;
  fetch?: typeof fetch;
}

export interface AlipaySimulator {
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  readonly delivery: CallbackDelivery;
  close(): Promise<void>;
}

const browserMethods: ReadonlySet<string> = new Set(["alipay.trade.page.pay", "alipay.trade.wap.pay"]);

export function createAlipaySimulator(options: AlipaySimulatorOptions): AlipaySimulator {
  const now = options.now ?? systemClock;
  const delivery = createCallbackDelivery({
    retryDelaysMs: options.retryDelaysMs ?? alipayCallbackRetryDelaysMs,
    retryScale: options.retryScale ?? 1,
    now,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const sim = new AlipaySim(options.keys, new AlipayStore(now), delivery, createApiFaultQueue(), now, {
    hideUnscannedTrades: options.hideUnscannedTrades ?? true,
    amountFenMax: options.amountFenMax ?? null,
    merchantBalanceFen: options.merchantBalanceFen ?? null,
  });
  const bills = new Map<string, StoredBill>();

  const handlers: Record<string, GatewayHandler> = {
    "alipay.trade.precreate": (ctx, method, biz, params) => precreate(sim, ctx, method, biz, params),
    "alipay.trade.query": (ctx, method, biz) => query(sim, ctx, method, biz),
    "alipay.trade.close": (ctx, method, biz) => close(sim, ctx, method, biz),
    "alipay.trade.refund": (ctx, method, biz) => refund(sim, ctx, method, biz),
    "alipay.trade.fastpay.refund.query": (ctx, method, biz) => refundQuery(sim, ctx, method, biz),
    "alipay.data.dataservice.bill.downloadurl.query": (ctx, method, biz) =>
      billDownloadUrlQuery(sim, bills, ctx, method, biz),
  };

  const gateway = (ctx: SimulatorContext) => {
    const params = gatewayParams(ctx);
    const method = params.method;
    const browser = method !== undefined && browserMethods.has(method);
    const answerFailure = (failure: AlipayFailure) =>
      browser ? renderCashierError(ctx, failure) : sim.fail(ctx, method ?? null, failure);
    if (!method)
      return sim.fail(ctx, null, { code: "40001", subCode: "isv.missing-method", subMsg: "缺少方法名参数" });
    if (!browser && !handlers[method]) {
      return sim.fail(ctx, null, { code: "40002", subCode: "isv.invalid-method", subMsg: "不存在的方法名" });
    }
    const refused = checkGatewayRequest(sim, params) ?? injectedFailure(sim, method);
    if (refused) return answerFailure(refused);
    const biz = parseBizContent(params);
    if (!biz) return answerFailure(business("ACQ.INVALID_PARAMETER", "biz_content 不是合法的JSON"));
    if (browser) {
      const opened = openCashierTrade(sim, method as AlipayTradeMethod, biz, params);
      return "failure" in opened ? renderCashierError(ctx, opened.failure) : renderCashier(ctx, opened.trade);
    }
    handlers[method]?.(ctx, method, biz, params);
  };

  const router = new Router<SimulatorState>({ sensitive: true });
  router.get("/gateway.do", gateway);
  router.post("/gateway.do", gateway);
  router.get("/downloadBillFile.resource", downloadBillFile(sim, bills));

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
      ctx.status = status;
      ctx.body = {
        code: status >= 500 ? "isp.unknow-error" : "isv.invalid-arguments",
        message: String(error),
      };
    }
  });
  app.use(simulatorFrame(options.mountPath ?? "", options.publicBaseUrl));
  app.use(router.routes());
  app.use(router.allowedMethods());
  const control = controlRouter(sim);
  app.use(control.routes());
  app.use(control.allowedMethods());

  return {
    listener: app.callback(),
    delivery,
    close: () => delivery.close(),
  };
}
