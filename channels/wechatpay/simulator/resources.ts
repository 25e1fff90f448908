import { fenToJsonInteger as fen } from "../../money.js";
import { formatRfc3339Beijing } from "../../time.js";
import type { WechatSim } from "./context.js";
import { tradeStateDesc, type SimOrder, type SimRefund } from "./state.js";

/** The Transaction object: the query answer and the plaintext of a payment callback. */
export function transactionJson(order: SimOrder): Record<string, unknown> {
  const paid = order.transactionId !== undefined && order.successAtMs !== undefined;
  return {
    appid: order.appid,
    mchid: order.mchid,
    out_trade_no: order.outTradeNo,
    ...(paid
      ? {
          transaction_id: order.transactionId,
          trade_type: order.tradeType,
          bank_type: order.bankType ?? "OTHERS",
          success_time: formatRfc3339Beijing(order.successAtMs ?? 0),
          payer: { openid: order.paidOpenid },
        }
      : {}),
    trade_state: order.state,
    trade_state_desc: tradeStateDesc[order.state],
    attach: order.attach,
    amount: {
      total: fen(order.totalFen),
      ...(paid ? { payer_total: fen(order.totalFen) } : {}),
      currency: "CNY",
      payer_currency: "CNY",
    },
    promotion_detail: [],
  };
}

export function refundJson(refund: SimRefund): Record<string, unknown> {
  return {
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    transaction_id: refund.transactionId,
    out_trade_no: refund.outTradeNo,
    channel: "ORIGINAL",
    user_received_account: "支付用户零钱",
    ...(refund.successAtMs !== undefined ? { success_time: formatRfc3339Beijing(refund.successAtMs) } : {}),
    create_time: formatRfc3339Beijing(refund.createdAtMs),
    status: refund.status,
    funds_account: "AVAILABLE",
    amount: {
      total: fen(refund.totalFen),
      refund: fen(refund.refundFen),
      payer_total: fen(refund.totalFen),
      payer_refund: fen(refund.refundFen),
      settlement_total: fen(refund.totalFen),
      settlement_refund: fen(refund.refundFen),
      discount_refund: 0,
      currency: "CNY",
    },
    promotion_detail: [],
  };
}

/** The plaintext of a refund callback. */
export function refundNotifyJson(sim: WechatSim, refund: SimRefund): Record<string, unknown> {
  return {
    mchid: sim.keys.mchid,
    transaction_id: refund.transactionId,
    out_trade_no: refund.outTradeNo,
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    refund_status: refund.status,
    ...(refund.successAtMs !== undefined ? { success_time: formatRfc3339Beijing(refund.successAtMs) } : {}),
    user_received_account: "支付用户零钱",
    amount: {
      total: fen(refund.totalFen),
      refund: fen(refund.refundFen),
      payer_total: fen(refund.totalFen),
      payer_refund: fen(refund.refundFen),
    },
  };
}
