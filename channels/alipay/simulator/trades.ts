import { randomAlphanumeric, randomDigits } from "../../random.js";
import { canonicalJson } from "../../sandbox/canonical.js";
import type { SimulatorContext } from "../../sandbox/koa.js";
import { fenToYuan, yuanToFen } from "../../money.js";
import { channelLimits } from "../../limits.js";
import { formatBeijingDateTime, parseBeijingDateTime } from "../../time.js";
import { business, type AlipayFailure, type AlipaySim } from "./context.js";
import { sendAlipayNotify } from "./notifier.js";
import type { AlipayTrade, AlipayTradeMethod } from "./state.js";

export type Biz = Record<string, unknown>;
export type Params = Record<string, string>;

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;

const outTradeNoPattern = /^[0-9A-Za-z_]{1,64}$/;
const defaultTimeoutMs = channelLimits.alipayExpiryMsMax;

/** `90m`, `2h`, `15d`, `1c` (until midnight) → ms; null when malformed. */
function timeoutExpressMs(value: string, nowMs: number): number | null {
  const m = /^(\d+)([mhdc])$/.exec(value);
  if (!m) return null;
  const amount = Number(m[1]);
  if (m[2] === "c") return 24 * 3600_000 - ((nowMs + 8 * 3600_000) % (24 * 3600_000));
  return amount * { m: 60_000, h: 3600_000, d: 24 * 3600_000 }[m[2] as "m" | "h" | "d"];
}

interface TradeDraft {
  outTradeNo: string;
  totalFen: bigint;
  subject: string;
  expireAtMs: number;
}

function draftTrade(sim: AlipaySim, biz: Biz): TradeDraft | AlipayFailure {
  const outTradeNo = text(biz.out_trade_no) ?? "";
  if (!outTradeNoPattern.test(outTradeNo)) return business("ACQ.INVALID_PARAMETER", "out_trade_no 参数无效");
  const totalFen = yuanToFen(text(biz.total_amount) ?? "");
  if (totalFen === null) return business("ACQ.INVALID_PARAMETER", "total_amount 参数无效");
  if (totalFen < 1n || totalFen > channelLimits.alipayAmountFenMax) {
    return business("ACQ.TOTAL_FEE_EXCEED", "订单金额超过限额或小于0.01元");
  }
  if (sim.config.amountFenMax !== null && totalFen > sim.config.amountFenMax) {
    return business("ACQ.BEYOND_PAY_RESTRICTION", "商户收款额度超限");
  }
  const subject = text(biz.subject) ?? "";
  if (subject === "" || [...subject].length > channelLimits.alipaySubjectLengthMax) {
    return business("ACQ.INVALID_PARAMETER", "subject 参数无效");
  }
  const nowMs = sim.now();
  let expireAtMs = nowMs + defaultTimeoutMs;
  const timeExpire = text(biz.time_expire);
  const timeoutExpress = text(biz.timeout_express);
  if (timeExpire !== undefined) {
    const at = parseBeijingDateTime(timeExpire);
    if (at === null || at <= nowMs) return business("ACQ.INVALID_PARAMETER", "time_expire 参数无效");
    expireAtMs = at;
  } else if (timeoutExpress !== undefined) {
    const ms = timeoutExpressMs(timeoutExpress, nowMs);
    if (ms === null || ms < 60_000 || ms > channelLimits.alipayExpiryMsMax) {
      return business("ACQ.INVALID_PARAMETER", "timeout_express 参数无效");
    }
    expireAtMs = nowMs + ms;
  }
  return { outTradeNo, totalFen, subject, expireAtMs };
}

/** Create, or find the same trade again; the failure an existing trade calls for otherwise. */
function openTrade(
  sim: AlipaySim,
  method: AlipayTradeMethod,
  biz: Biz,
  params: Params,
): { trade: AlipayTrade } | { failure: AlipayFailure } {
  const draft = draftTrade(sim, biz);
  if ("code" in draft) return { failure: draft };
  const fingerprint = canonicalJson({ method, biz, notify_url: params.notify_url });
  const existing = sim.store.trade(draft.outTradeNo);
  if (existing) {
    if (existing.status === "TRADE_SUCCESS" || existing.status === "TRADE_FINISHED") {
      return { failure: business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付") };
    }
    if (existing.status === "TRADE_CLOSED")
      return { failure: business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭") };
    if (existing.fingerprint !== fingerprint) {
      return { failure: business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改") };
    }
    return { trade: existing };
  }
  if (sim.store.isFull()) return { failure: business("ACQ.SYSTEM_ERROR", "simulator trade store is full") };
  const passback = text(biz.passback_params);
  const trade: AlipayTrade = {
    ...draft,
    tradeNo: sim.store.newTradeNo(),
    method,
    fingerprint,
    createdAtMs: sim.now(),
    visible: method !== "alipay.trade.precreate" || !sim.config.hideUnscannedTrades,
    status: "WAIT_BUYER_PAY",
    refunds: new Map(),
    refundedFen: 0n,
    ...(params.notify_url ? { notifyUrl: params.notify_url } : {}),
    ...(params.return_url ? { returnUrl: params.return_url } : {}),
    ...(passback ? { passbackParams: passback } : {}),
  };
  if (method === "alipay.trade.precreate")
    trade.qrCode = `https://qr.alipay.com/bax0${randomAlphanumeric(20).toLowerCase()}`;
  sim.store.add(trade);
  return { trade };
}

export function precreate(sim: AlipaySim, ctx: SimulatorContext, method: string, biz: Biz, params: Params) {
  const opened = openTrade(sim, "alipay.trade.precreate", biz, params);
  if ("failure" in opened) return sim.fail(ctx, method, opened.failure);
  sim.succeed(ctx, method, { out_trade_no: opened.trade.outTradeNo, qr_code: opened.trade.qrCode });
}

/** page.pay / wap.pay: the trade appears once the buyer's browser reaches the cashier. */
export function openCashierTrade(sim: AlipaySim, method: AlipayTradeMethod, biz: Biz, params: Params) {
  const productCode = text(biz.product_code);
  const expected =
    method === "alipay.trade.page.pay" ? ["FAST_INSTANT_TRADE_PAY"] : ["QUICK_WAP_WAY", "QUICK_WAP_PAY"];
  if (productCode === undefined || !expected.includes(productCode)) {
    return { failure: business("ACQ.INVALID_PARAMETER", `product_code 须为 ${expected[0]}`) };
  }
  return openTrade(sim, method, biz, params);
}

function findTrade(sim: AlipaySim, biz: Biz): AlipayTrade | AlipayFailure {
  const ids = { out_trade_no: text(biz.out_trade_no), trade_no: text(biz.trade_no) };
  if (ids.out_trade_no === undefined && ids.trade_no === undefined) {
    return business("ACQ.INVALID_PARAMETER", "out_trade_no 和 trade_no 不能同时为空");
  }
  return sim.store.visibleTrade(ids) ?? business("ACQ.TRADE_NOT_EXIST", "交易不存在");
}

export function query(sim: AlipaySim, ctx: SimulatorContext, method: string, biz: Biz) {
  const trade = findTrade(sim, biz);
  if ("code" in trade) return sim.fail(ctx, method, trade);
  const paid = trade.paidAtMs !== undefined;
  const total = fenToYuan(trade.totalFen);
  sim.succeed(ctx, method, {
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    ...(trade.buyerLogonId ? { buyer_logon_id: trade.buyerLogonId, buyer_user_id: trade.buyerId } : {}),
    trade_status: trade.status,
    total_amount: total,
    buyer_pay_amount: paid ? total : "0.00",
    point_amount: "0.00",
    invoice_amount: paid ? total : "0.00",
    receipt_amount: paid ? total : "0.00",
    ...(paid ? { send_pay_date: formatBeijingDateTime(trade.paidAtMs ?? 0) } : {}),
  });
}

export function close(sim: AlipaySim, ctx: SimulatorContext, method: string, biz: Biz) {
  const trade = findTrade(sim, biz);
  if ("code" in trade) return sim.fail(ctx, method, trade);
  if (trade.status !== "WAIT_BUYER_PAY") {
    return sim.fail(ctx, method, business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"));
  }
  trade.status = "TRADE_CLOSED";
  trade.closedAtMs = sim.now();
  sim.succeed(ctx, method, { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo });
}

export function refund(sim: AlipaySim, ctx: SimulatorContext, method: string, biz: Biz) {
  const trade = findTrade(sim, biz);
  if ("code" in trade) return sim.fail(ctx, method, trade);
  const amount = yuanToFen(text(biz.refund_amount) ?? "");
  if (amount === null || amount < 1n)
    return sim.fail(ctx, method, business("ACQ.INVALID_PARAMETER", "refund_amount 参数无效"));
  const outRequestNo = text(biz.out_request_no) ?? trade.outTradeNo;
  const answer = (fundChange: "Y" | "N") => ({
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_logon_id: trade.buyerLogonId,
    buyer_user_id: trade.buyerId,
    fund_change: fundChange,
    refund_fee: fenToYuan(trade.refundedFen),
    gmt_refund_pay: formatBeijingDateTime(trade.refunds.get(outRequestNo)?.atMs ?? sim.now()),
  });
  const earlier = trade.refunds.get(outRequestNo);
  if (earlier) {
    if (earlier.refundFen !== amount) {
      return sim.fail(ctx, method, business("ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致"));
    }
    return sim.succeed(ctx, method, answer("N"));
  }
  if (trade.status === "TRADE_FINISHED")
    return sim.fail(ctx, method, business("ACQ.TRADE_HAS_FINISHED", "交易已完结"));
  if (trade.status !== "TRADE_SUCCESS")
    return sim.fail(ctx, method, business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"));
  if (trade.refundedFen + amount > trade.totalFen) {
    return sim.fail(ctx, method, business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"));
  }
  if (sim.config.merchantBalanceFen !== null) {
    if (amount > sim.config.merchantBalanceFen) {
      return sim.fail(ctx, method, business("ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足"));
    }
    sim.config.merchantBalanceFen -= amount;
  }
  const record = { outRequestNo, refundFen: amount, reason: text(biz.refund_reason) ?? "", atMs: sim.now() };
  trade.refunds.set(outRequestNo, record);
  trade.refundedFen += amount;
  if (trade.refundedFen === trade.totalFen) {
    trade.status = "TRADE_CLOSED";
    trade.closedAtMs = record.atMs;
  }
  sendAlipayNotify(sim, trade, record);
  sim.succeed(ctx, method, answer("Y"));
}

export function refundQuery(sim: AlipaySim, ctx: SimulatorContext, method: string, biz: Biz) {
  const trade = findTrade(sim, biz);
  if ("code" in trade) return sim.fail(ctx, method, trade);
  const outRequestNo = text(biz.out_request_no);
  if (!outRequestNo)
    return sim.fail(ctx, method, business("ACQ.INVALID_PARAMETER", "out_request_no 不能为空"));
  const record = trade.refunds.get(outRequestNo);
  const ids = { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo, out_request_no: outRequestNo };
  if (!record) return sim.succeed(ctx, method, ids);
  sim.succeed(ctx, method, {
    ...ids,
    total_amount: fenToYuan(trade.totalFen),
    refund_amount: fenToYuan(record.refundFen),
    refund_status: "REFUND_SUCCESS",
    gmt_refund_pay: formatBeijingDateTime(record.atMs),
  });
}

/** A buyer id and masked login, as Alipay shows them. */
export function sandboxBuyer(): { buyerId: string; buyerLogonId: string } {
  return {
    buyerId: `2088${randomDigits(12)}`,
    buyerLogonId: `${randomDigits(3)}***${randomDigits(4)}@sandbox.example`,
  };
}
