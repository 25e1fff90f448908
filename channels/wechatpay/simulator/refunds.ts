import { z } from "zod";
import { channelLimits } from "../../limits.js";
import { canonicalJson } from "../../sandbox/canonical.js";
import type { CallbackFaults } from "../../sandbox/callbackDelivery.js";
import type { SimulatorContext } from "../../sandbox/koa.js";
import type { WechatSim } from "./context.js";
import { requestIdSubCodes } from "./errors.js";
import { sendWechatEvent } from "./notifier.js";
import { injectedFault, parseJson } from "./orders.js";
import { refundJson, refundNotifyJson } from "./resources.js";
import type { SimRefund, SimRefundStatus } from "./state.js";

const refundBodySchema = z
  .object({
    transaction_id: z.string().optional(),
    out_trade_no: z.string().optional(),
    out_refund_no: z.string().regex(/^[0-9A-Za-z_\-|*@]{1,64}$/),
    reason: z.string().max(channelLimits.wechatRefundReasonLengthMax).optional(),
    notify_url: z.string().max(channelLimits.wechatNotifyUrlLengthMax).optional(),
    funds_account: z.string().optional(),
    amount: z.object({
      refund: z.number().int().min(1),
      total: z.number().int().min(1),
      currency: z.literal("CNY"),
    }),
    goods_detail: z.unknown().optional(),
  })
  .refine(
    (b) => b.transaction_id !== undefined || b.out_trade_no !== undefined,
    "transaction_id 或 out_trade_no 必填",
  );

const refundWindowMs = 365 * 24 * 3600_000;

/** POST /v3/refund/domestic/refunds — answers PROCESSING; settles later (or through the control API). */
export function createRefund(sim: WechatSim) {
  return (ctx: SimulatorContext) => {
    if (injectedFault(sim, ctx, "refund")) return;
    const parsed = refundBodySchema.safeParse(parseJson(ctx.state.rawBody.toString("utf8")));
    if (!parsed.success)
      return sim.fail(ctx, "PARAM_ERROR", `参数错误: ${parsed.error.issues[0]?.message ?? ""}`);
    const body = parsed.data;
    const order = body.out_trade_no
      ? sim.store.order(body.out_trade_no)
      : sim.store.orderByTransactionId(body.transaction_id ?? "");
    if (!order || (body.transaction_id && order.transactionId !== body.transaction_id)) {
      return sim.fail(ctx, "RESOURCE_NOT_EXISTS", "订单不存在");
    }
    const fingerprint = canonicalJson({ ...body, out_trade_no: order.outTradeNo, transaction_id: undefined });
    const existing = sim.store.refunds.get(body.out_refund_no);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        return sim.fail(
          ctx,
          "INVALID_REQUEST",
          "参数与首次请求时不一致",
          undefined,
          requestIdSubCodes.PARAMS_MISMATCH,
        );
      }
      return sim.respond(ctx, 200, refundJson(existing));
    }
    if (order.state !== "SUCCESS" && order.state !== "REFUND") {
      return sim.fail(ctx, "INVALID_REQUEST", "订单状态不正确，不能退款");
    }
    if (sim.now() - (order.successAtMs ?? 0) > refundWindowMs) {
      return sim.fail(ctx, "INVALID_REQUEST", "订单已超过退款期限");
    }
    if (BigInt(body.amount.total) !== order.totalFen)
      return sim.fail(ctx, "INVALID_REQUEST", "订单金额与原订单金额不一致");
    if (order.refundedFen + BigInt(body.amount.refund) > order.totalFen) {
      return sim.fail(ctx, "INVALID_REQUEST", "申请退款金额超过订单可退金额");
    }
    if (
      sim.config.merchantBalanceFen !== null &&
      BigInt(body.amount.refund) > sim.config.merchantBalanceFen
    ) {
      return sim.fail(ctx, "NOT_ENOUGH");
    }
    if (sim.config.merchantBalanceFen !== null) sim.config.merchantBalanceFen -= BigInt(body.amount.refund);
    const refund: SimRefund = {
      refundId: sim.store.newRefundId(),
      outRefundNo: body.out_refund_no,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId ?? "",
      reason: body.reason ?? "",
      refundFen: BigInt(body.amount.refund),
      totalFen: order.totalFen,
      fingerprint,
      status: "PROCESSING",
      createdAtMs: sim.now(),
      ...(body.notify_url ? { notifyUrl: body.notify_url } : {}),
    };
    order.refundedFen += refund.refundFen;
    order.state = "REFUND";
    sim.store.refunds.set(refund.outRefundNo, refund);
    const delay = sim.config.refundSettleDelayMs;
    if (delay !== null) sim.later(delay, () => settleRefund(sim, refund, "SUCCESS"));
    sim.respond(ctx, 200, refundJson(refund));
  };
}

/** GET /v3/refund/domestic/refunds/{out_refund_no} */
export function queryRefund(sim: WechatSim) {
  return (ctx: SimulatorContext & { params: Record<string, string> }) => {
    if (injectedFault(sim, ctx, "refund_query")) return;
    const refund = sim.store.refunds.get(ctx.params.id ?? "");
    if (!refund) return sim.fail(ctx, "RESOURCE_NOT_EXISTS");
    sim.respond(ctx, 200, refundJson(refund));
  };
}

/** PROCESSING → SUCCESS | ABNORMAL | CLOSED, ABNORMAL → SUCCESS, with the refund callback when a notify_url was given. */
export function settleRefund(
  sim: WechatSim,
  refund: SimRefund,
  status: Exclude<SimRefundStatus, "PROCESSING">,
  faults?: CallbackFaults,
): boolean {
  // ABNORMAL waits for the merchant to re-submit the refund to another account: then it succeeds.
  const open = refund.status === "PROCESSING" || (refund.status === "ABNORMAL" && status === "SUCCESS");
  if (!open) return false;
  refund.status = status;
  if (status === "SUCCESS") refund.successAtMs = sim.now();
  else if (status === "CLOSED") {
    const order = sim.store.order(refund.outTradeNo);
    if (order) order.refundedFen -= refund.refundFen;
  }
  if (refund.notifyUrl) {
    sendWechatEvent(
      sim,
      {
        eventType: `REFUND.${status}`,
        summary: status === "SUCCESS" ? "退款成功" : status === "ABNORMAL" ? "退款异常" : "退款关闭",
        originalType: "refund",
        resource: refundNotifyJson(sim, refund),
        url: refund.notifyUrl,
        label: `REFUND.${status} ${refund.outRefundNo}`,
      },
      faults,
    );
  }
  return true;
}
