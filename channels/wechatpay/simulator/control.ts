import Router from "@koa/router";
import { z } from "zod";
import { channelLimits } from "../../limits.js";
import { randomAlphanumeric } from "../../random.js";
import { verifySha256WithRsa } from "../../rsa.js";
import {
  callbackFaultsSchema,
  faultsBodySchema,
  parseControlBody,
  releaseBodySchema,
  type SimulatorContext,
  type SimulatorState,
} from "../../sandbox/koa.js";
import { jsapiSignMessage } from "../signing.js";
import type { WechatSim } from "./context.js";
import { sendWechatEvent } from "./notifier.js";
import { settleRefund } from "./refunds.js";
import { transactionJson } from "./resources.js";
import { isPayable, type SimOrder } from "./state.js";

const payBodySchema = z
  .object({
    openid: z.string().min(1).optional(),
    bankType: z.string().min(1).optional(),
    /** Required for JSAPI orders: the parameters the page passed to wx.requestPayment. */
    jsapi: z
      .object({
        appId: z.string(),
        timeStamp: z.string(),
        nonceStr: z.string(),
        package: z.string(),
        signType: z.literal("RSA"),
        paySign: z.string(),
      })
      .optional(),
    /**
     * Pays another amount than the order's (fen): the channel's transaction carries it everywhere
     * (callback, query, bill, refund totals), as a merchant must catch it.
     */
    amountFen: z.number().int().min(1).max(Number(channelLimits.wechatAmountFenMax)).optional(),
    callback: callbackFaultsSchema.optional(),
  })
  .strict();

const failBodySchema = z
  .object({ state: z.enum(["PAYERROR", "USERPAYING", "REVOKED"]).default("PAYERROR") })
  .strict();

const settleBodySchema = z
  .object({
    status: z.enum(["SUCCESS", "ABNORMAL", "CLOSED"]).default("SUCCESS"),
    callback: callbackFaultsSchema.optional(),
  })
  .strict();

/** The simulator's record of an order, amounts as digit strings. */
function view(order: SimOrder) {
  return { ...order, totalFen: String(order.totalFen), refundedFen: String(order.refundedFen) };
}

function problem(ctx: SimulatorContext, status: number, code: string, message: string) {
  ctx.status = status;
  ctx.body = { code, message };
}

function orderOr404(sim: WechatSim, ctx: SimulatorContext, outTradeNo: string): SimOrder | undefined {
  const order = sim.store.order(outTradeNo);
  if (!order) problem(ctx, 404, "ORDER_NOT_EXIST", `no order ${outTradeNo}`);
  return order;
}

/** The wallet's check before paying a JSAPI order: paySign over the page's parameters, with the merchant key. */
function jsapiProblem(
  sim: WechatSim,
  order: SimOrder,
  jsapi: z.infer<typeof payBodySchema>["jsapi"],
): string | null {
  if (!jsapi) return "JSAPI orders are paid with the signed wx.requestPayment parameters (body.jsapi)";
  if (jsapi.appId !== order.appid || jsapi.package !== `prepay_id=${order.prepayId}`) {
    return "appId or package does not match the order";
  }
  const message = jsapiSignMessage(jsapi.appId, jsapi.timeStamp, jsapi.nonceStr, jsapi.package);
  return verifySha256WithRsa(sim.merchantPublicKey, message, jsapi.paySign)
    ? null
    : "paySign does not verify";
}

/** `/__sim/…`: drive the simulated customer and channel; sandbox only, unsigned JSON. */
export function controlRouter(sim: WechatSim): Router<SimulatorState> {
  const router = new Router<SimulatorState>({ prefix: "/__sim", sensitive: true });

  router.get("/health", (ctx) => {
    ctx.body = { ok: true, channel: "wechatpay", now: sim.now() };
  });

  router.get("/keys", (ctx) => {
    ctx.body = {
      mchid: sim.keys.mchid,
      appid: sim.keys.appid,
      merchantSerial: sim.merchantSerial,
      platformKeyMode: sim.platform.mode,
      platformSerial: sim.platform.current.serial,
      platformPublicKeyId: sim.platform.publicKeyIds.get(sim.platform.current.serial),
      platformCertificates: sim.platform.all().map((k) => k.certificatePem),
      platformPublicKeyPem: sim.platform.current.publicKeyPem,
    };
  });

  router.post("/platform-certificates/rotate", (ctx) => {
    const key = sim.platform.rotate(sim.now());
    ctx.body = { serial: key.serial, publicKeyId: sim.platform.publicKeyIds.get(key.serial) };
  });

  router.get("/orders", (ctx) => {
    ctx.body = [...sim.store.orders.keys()].flatMap((no) => {
      const order = sim.store.order(no);
      return order ? [view(order)] : [];
    });
  });

  router.get("/orders/:id", (ctx) => {
    const order = orderOr404(sim, ctx, ctx.params.id ?? "");
    if (order) ctx.body = { ...view(order), transaction: transactionJson(order) };
  });

  router.post("/orders/:id/pay", (ctx) => {
    const body = parseControlBody(ctx, payBodySchema);
    const order = orderOr404(sim, ctx, ctx.params.id ?? "");
    if (!order) return;
    if (!isPayable(order.state)) return problem(ctx, 409, `ORDER_${order.state}`, `order is ${order.state}`);
    if (order.tradeType === "JSAPI") {
      const refused = jsapiProblem(sim, order, body.jsapi);
      if (refused) return problem(ctx, 400, "SIGN_ERROR", refused);
    }
    if (body.amountFen !== undefined) order.totalFen = BigInt(body.amountFen);
    const openid = body.openid ?? order.payerOpenid ?? `o${randomAlphanumeric(27)}`;
    sim.store.markPaid(order, openid, body.bankType ?? "OTHERS");
    const transaction = transactionJson(order);
    const eventId = sendWechatEvent(
      sim,
      {
        eventType: "TRANSACTION.SUCCESS",
        summary: "支付成功",
        originalType: "transaction",
        resource: transaction,
        url: order.notifyUrl,
        label: `TRANSACTION.SUCCESS ${order.outTradeNo}`,
      },
      body.callback,
    );
    ctx.body = { eventId, transaction };
  });

  router.post("/orders/:id/fail", (ctx) => {
    const { state } = parseControlBody(ctx, failBodySchema);
    const order = orderOr404(sim, ctx, ctx.params.id ?? "");
    if (!order) return;
    if (!isPayable(order.state)) return problem(ctx, 409, `ORDER_${order.state}`, `order is ${order.state}`);
    order.state = state;
    ctx.body = transactionJson(order);
  });

  router.post("/orders/:id/expire", (ctx) => {
    const order = orderOr404(sim, ctx, ctx.params.id ?? "");
    if (!order) return;
    if (!isPayable(order.state)) return problem(ctx, 409, `ORDER_${order.state}`, `order is ${order.state}`);
    order.expireAtMs = sim.now();
    ctx.body = transactionJson(sim.store.order(order.outTradeNo) ?? order);
  });

  router.post("/refunds/:id/settle", (ctx) => {
    const { status, callback } = parseControlBody(ctx, settleBodySchema);
    const refund = sim.store.refunds.get(ctx.params.id ?? "");
    if (!refund) return problem(ctx, 404, "RESOURCE_NOT_EXISTS", "no such refund");
    if (!settleRefund(sim, refund, status, callback)) {
      return problem(ctx, 409, "REFUND_SETTLED", `refund is ${refund.status}`);
    }
    ctx.body = { outRefundNo: refund.outRefundNo, status: refund.status };
  });

  router.post("/faults", (ctx) => {
    const body = parseControlBody(ctx, faultsBodySchema);
    if (body.callbacks) sim.defaultCallbackFaults = body.callbacks;
    for (const fault of body.api ?? []) sim.apiFaults.add(fault);
    ctx.body = { callbacks: sim.defaultCallbackFaults, api: sim.apiFaults.list() };
  });

  router.delete("/faults", (ctx) => {
    sim.defaultCallbackFaults = {};
    sim.apiFaults.clear();
    ctx.body = { callbacks: {}, api: [] };
  });

  router.get("/callbacks", (ctx) => {
    ctx.body = { held: sim.delivery.heldCount(), attempts: sim.delivery.log() };
  });

  router.post("/callbacks/release", async (ctx) => {
    const { order } = parseControlBody(ctx, releaseBodySchema);
    ctx.body = { released: await sim.delivery.release(order) };
  });

  return router;
}
