import { z } from "zod";
import { channelLimits } from "../../limits.js";
import { randomAlphanumeric } from "../../random.js";
import { canonicalJson } from "../../sandbox/canonical.js";
import type { SimulatorContext } from "../../sandbox/koa.js";
import { formatBeijingCompact, parseRfc3339 } from "../../time.js";
import type { WechatSim } from "./context.js";
import { isWechatErrorCode, requestIdSubCodes, wechatErrorStatus } from "./errors.js";
import { transactionJson } from "./resources.js";
import { isPayable, type SimOrder, type SimTradeType } from "./state.js";

const orderBodySchema = z.object({
  appid: z.string().min(1).max(32),
  mchid: z.string().min(1).max(32),
  description: z
    .string()
    .min(1)
    .refine((s) => [...s].length <= channelLimits.wechatDescriptionLengthMax, "description longer than 127"),
  out_trade_no: z.string().regex(/^[0-9A-Za-z_\-|*]{6,32}$/),
  time_expire: z.string().optional(),
  attach: z.string().max(channelLimits.wechatAttachLengthMax).optional(),
  notify_url: z
    .string()
    .max(channelLimits.wechatNotifyUrlLengthMax)
    .refine((url) => /^https?:\/\/[^?]+$/.test(url), "notify_url must be an absolute URL without a query"),
  goods_tag: z.string().optional(),
  support_fapiao: z.boolean().optional(),
  amount: z.object({ total: z.number().int().min(1), currency: z.literal("CNY").optional() }),
  payer: z.object({ openid: z.string().min(1).max(128) }).optional(),
  detail: z.unknown().optional(),
  scene_info: z
    .object({
      payer_client_ip: z.string().min(1).max(45),
      device_id: z.string().optional(),
      store_info: z.unknown().optional(),
      h5_info: z
        .object({
          type: z.string().min(1),
          app_name: z.string().optional(),
          app_url: z.string().optional(),
          bundle_id: z.string().optional(),
          package_name: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  settle_info: z.object({ profit_sharing: z.boolean().optional() }).optional(),
});

type OrderBody = z.infer<typeof orderBodySchema>;

const defaultExpiryMs = channelLimits.wechatExpiryMsMax;

/** POST /v3/pay/transactions/{native|jsapi|h5} */
export function createOrder(sim: WechatSim, tradeType: SimTradeType) {
  return (ctx: SimulatorContext) => {
    if (injectedFault(sim, ctx, tradeType === "MWEB" ? "h5" : tradeType.toLowerCase())) return;
    const parsed = orderBodySchema.safeParse(parseJson(ctx.state.rawBody.toString("utf8")));
    if (!parsed.success)
      return sim.fail(ctx, "PARAM_ERROR", `参数错误: ${parsed.error.issues[0]?.message ?? ""}`);
    const body = parsed.data;
    const problem = checkOrder(sim, body, tradeType);
    if (problem) return sim.fail(ctx, problem.code, problem.message);
    const fingerprint = canonicalJson({ ...body, trade_type: tradeType });
    const existing = sim.store.order(body.out_trade_no);
    if (existing) {
      if (existing.state === "SUCCESS" || existing.state === "REFUND") return sim.fail(ctx, "ORDER_PAID");
      if (existing.state === "CLOSED") return sim.fail(ctx, "ORDER_CLOSED");
      if (existing.fingerprint !== fingerprint) {
        return sim.fail(
          ctx,
          "INVALID_REQUEST",
          "参数与首次请求时不一致",
          undefined,
          requestIdSubCodes.PARAMS_MISMATCH,
        );
      }
      return sim.respond(ctx, 200, prepayAnswer(existing));
    }
    if (sim.store.isFull()) return sim.fail(ctx, "FREQUENCY_LIMITED", "simulator order store is full");
    const order = newOrder(sim, ctx.state.baseUrl, body, tradeType, fingerprint);
    sim.store.add(order);
    sim.respond(ctx, 200, prepayAnswer(order));
  };
}

function checkOrder(sim: WechatSim, body: OrderBody, tradeType: SimTradeType) {
  if (body.mchid !== sim.keys.mchid) return { code: "MCH_NOT_EXISTS", message: "商户号不存在" } as const;
  if (body.appid !== sim.keys.appid)
    return { code: "APPID_MCHID_NOT_MATCH", message: "appid和mch_id不匹配" } as const;
  if (tradeType === "JSAPI" && !body.payer)
    return { code: "PARAM_ERROR", message: "缺少参数 payer.openid" } as const;
  if (tradeType === "MWEB" && !body.scene_info?.h5_info) {
    return { code: "PARAM_ERROR", message: "缺少参数 scene_info.h5_info" } as const;
  }
  if (sim.config.amountFenMax !== null && BigInt(body.amount.total) > sim.config.amountFenMax) {
    return { code: "RULE_LIMIT", message: "超出商户单笔收款限额" } as const;
  }
  if (body.time_expire !== undefined) {
    const expireAtMs = parseRfc3339(body.time_expire);
    if (expireAtMs === null) return { code: "PARAM_ERROR", message: "time_expire 格式错误" } as const;
    const aheadMs = expireAtMs - sim.now();
    if (aheadMs < channelLimits.wechatExpiryMsMin || aheadMs > channelLimits.wechatExpiryMsMax) {
      return { code: "PARAM_ERROR", message: "time_expire 须在1分钟到7天之间" } as const;
    }
  }
  return null;
}

function newOrder(
  sim: WechatSim,
  baseUrl: string,
  body: OrderBody,
  tradeType: SimTradeType,
  fingerprint: string,
) {
  const nowMs = sim.now();
  const prepayId = `wx${formatBeijingCompact(nowMs)}${randomAlphanumeric(20).toLowerCase()}`;
  const order: SimOrder = {
    appid: body.appid,
    mchid: body.mchid,
    outTradeNo: body.out_trade_no,
    tradeType,
    description: body.description,
    totalFen: BigInt(body.amount.total),
    notifyUrl: body.notify_url,
    attach: body.attach ?? "",
    fingerprint,
    createdAtMs: nowMs,
    expireAtMs: body.time_expire ? (parseRfc3339(body.time_expire) ?? nowMs) : nowMs + defaultExpiryMs,
    prepayId,
    state: "NOTPAY",
    refundedFen: 0n,
    ...(body.payer ? { payerOpenid: body.payer.openid } : {}),
  };
  if (tradeType === "NATIVE")
    order.codeUrl = `weixin://wxpay/bizpayurl/up?pr=${randomAlphanumeric(7)}&groupid=00`;
  if (tradeType === "MWEB") {
    const pkg = randomAlphanumeric(10);
    order.h5Url = `${baseUrl}/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=${prepayId}&package=${pkg}`;
  }
  return order;
}

function prepayAnswer(order: SimOrder): Record<string, string> {
  if (order.tradeType === "NATIVE") return { code_url: order.codeUrl ?? "" };
  if (order.tradeType === "MWEB") return { h5_url: order.h5Url ?? "" };
  return { prepay_id: order.prepayId };
}

/** GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid= and …/id/{transaction_id}?mchid= */
export function queryOrder(sim: WechatSim, by: "out_trade_no" | "transaction_id") {
  return (ctx: SimulatorContext & { params: Record<string, string> }) => {
    if (injectedFault(sim, ctx, "query")) return;
    if (typeof ctx.query.mchid !== "string") return sim.fail(ctx, "PARAM_ERROR", "缺少参数 mchid");
    const key = ctx.params.id ?? "";
    const order = by === "out_trade_no" ? sim.store.order(key) : sim.store.orderByTransactionId(key);
    if (!order) return sim.fail(ctx, "ORDER_NOT_EXIST");
    sim.respond(ctx, 200, transactionJson(order));
  };
}

/** POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close — re-entrant. */
export function closeOrder(sim: WechatSim) {
  return (ctx: SimulatorContext & { params: Record<string, string> }) => {
    if (injectedFault(sim, ctx, "close")) return;
    const parsed = z
      .object({ mchid: z.string().min(1) })
      .safeParse(parseJson(ctx.state.rawBody.toString("utf8")));
    if (!parsed.success) return sim.fail(ctx, "PARAM_ERROR", "缺少参数 mchid");
    const order = sim.store.order(ctx.params.id ?? "");
    if (!order) return sim.fail(ctx, "ORDER_NOT_EXIST");
    if (order.state === "SUCCESS" || order.state === "REFUND") return sim.fail(ctx, "ORDER_PAID");
    if (isPayable(order.state)) order.state = "CLOSED";
    sim.respond(ctx, 204, undefined);
  };
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Answers with a queued control-API fault for `operation`, if one is due. */
export function injectedFault(sim: WechatSim, ctx: SimulatorContext, operation: string): boolean {
  const fault = sim.apiFaults.take(operation);
  if (!fault) return false;
  const payload = { code: fault.code, message: fault.message ?? `injected ${fault.code}` };
  const status = fault.status ?? (isWechatErrorCode(fault.code) ? wechatErrorStatus[fault.code] : 500);
  sim.respond(ctx, status, payload);
  return true;
}
