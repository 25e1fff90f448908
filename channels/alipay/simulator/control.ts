import Router from "@koa/router";
import { z } from "zod";
import {
  callbackFaultsSchema,
  faultsBodySchema,
  parseControlBody,
  releaseBodySchema,
  type SimulatorContext,
  type SimulatorState,
} from "../../sandbox/koa.js";
import { fenToYuan } from "../../money.js";
import type { AlipaySim } from "./context.js";
import { sendAlipayNotify } from "./notifier.js";
import type { AlipayTrade } from "./state.js";
import { sandboxBuyer } from "./trades.js";

const payBodySchema = z
  .object({
    buyerId: z
      .string()
      .regex(/^2088\d{12}$/)
      .optional(),
    buyerLogonId: z.string().min(1).optional(),
    callback: callbackFaultsSchema.optional(),
  })
  .strict();

const notifyBodySchema = z.object({ callback: callbackFaultsSchema.optional() }).strict();

function problem(ctx: SimulatorContext, status: number, code: string, message: string) {
  ctx.status = status;
  ctx.body = { code, message };
}

function tradeOr404(sim: AlipaySim, ctx: SimulatorContext): AlipayTrade | undefined {
  const trade = sim.store.trade(ctx.params.id ?? "");
  if (!trade) problem(ctx, 404, "ACQ.TRADE_NOT_EXIST", "no such trade");
  return trade;
}

function view(trade: AlipayTrade) {
  return {
    outTradeNo: trade.outTradeNo,
    tradeNo: trade.tradeNo,
    method: trade.method,
    status: trade.status,
    visible: trade.visible,
    totalAmount: fenToYuan(trade.totalFen),
    refundedAmount: fenToYuan(trade.refundedFen),
    subject: trade.subject,
    expireAt: new Date(trade.expireAtMs).toISOString(),
    qrCode: trade.qrCode,
    buyerId: trade.buyerId,
    paidAt: trade.paidAtMs === undefined ? undefined : new Date(trade.paidAtMs).toISOString(),
  };
}

/** Only a trade waiting for the buyer can be scanned, paid, failed or expired. */
const waiting = (ctx: SimulatorContext, trade: AlipayTrade): boolean => {
  if (trade.status === "WAIT_BUYER_PAY") return true;
  problem(ctx, 409, trade.status, `trade is ${trade.status}`);
  return false;
};

/** `/__sim/…`: act as the buyer and as Alipay's operations; sandbox only, unsigned JSON. */
export function controlRouter(sim: AlipaySim): Router<SimulatorState> {
  const router = new Router<SimulatorState>({ prefix: "/__sim", sensitive: true });

  router.get("/health", (ctx) => {
    ctx.body = { ok: true, channel: "alipay", now: sim.now() };
  });

  router.get("/keys", (ctx) => {
    ctx.body = {
      appId: sim.keys.appId,
      sellerId: sim.keys.sellerId,
      alipayPublicKeyPem: sim.keys.alipayPublicKeyPem,
    };
  });

  router.get("/orders", (ctx) => {
    ctx.body = [...sim.store.trades.keys()].flatMap((no) => {
      const trade = sim.store.trade(no);
      return trade ? [view(trade)] : [];
    });
  });

  router.get("/orders/:id", (ctx) => {
    const trade = tradeOr404(sim, ctx);
    if (trade) ctx.body = view(trade);
  });

  /** The buyer scans a precreate code: the trade starts to exist for query/close. */
  router.post("/orders/:id/scan", (ctx) => {
    const trade = tradeOr404(sim, ctx);
    if (!trade || !waiting(ctx, trade)) return;
    trade.visible = true;
    Object.assign(trade, sandboxBuyer());
    ctx.body = view(trade);
  });

  router.post("/orders/:id/pay", (ctx) => {
    const body = parseControlBody(ctx, payBodySchema);
    const trade = tradeOr404(sim, ctx);
    if (!trade || !waiting(ctx, trade)) return;
    const buyer = sandboxBuyer();
    trade.visible = true;
    trade.buyerId = body.buyerId ?? trade.buyerId ?? buyer.buyerId;
    trade.buyerLogonId = body.buyerLogonId ?? trade.buyerLogonId ?? buyer.buyerLogonId;
    trade.status = "TRADE_SUCCESS";
    trade.paidAtMs = sim.now();
    const notifyId = sendAlipayNotify(sim, trade, null, body.callback);
    ctx.body = { notifyId, trade: view(trade) };
  });

  /** The payment attempt fails for good (risk control): the trade closes, without a notify. */
  router.post("/orders/:id/fail", (ctx) => {
    const trade = tradeOr404(sim, ctx);
    if (!trade || !waiting(ctx, trade)) return;
    trade.status = "TRADE_CLOSED";
    trade.closedAtMs = sim.now();
    ctx.body = view(trade);
  });

  router.post("/orders/:id/expire", (ctx) => {
    const trade = tradeOr404(sim, ctx);
    if (!trade || !waiting(ctx, trade)) return;
    trade.expireAtMs = sim.now();
    ctx.body = view(sim.store.trade(trade.outTradeNo) ?? trade);
  });

  /** The refund window ends: TRADE_SUCCESS → TRADE_FINISHED, notified. */
  router.post("/orders/:id/finish", (ctx) => {
    const { callback } = parseControlBody(ctx, notifyBodySchema);
    const trade = tradeOr404(sim, ctx);
    if (!trade) return;
    if (trade.status !== "TRADE_SUCCESS") return problem(ctx, 409, trade.status, `trade is ${trade.status}`);
    trade.status = "TRADE_FINISHED";
    ctx.body = { notifyId: sendAlipayNotify(sim, trade, null, callback), trade: view(trade) };
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
