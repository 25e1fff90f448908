import { ChannelError, type ChannelErrorCode } from "../errors.js";

const bySubCode: Record<string, ChannelErrorCode> = {
  "ACQ.TRADE_NOT_EXIST": "order_not_found",
  "ACQ.TRADE_HAS_SUCCESS": "order_paid",
  "ACQ.TRADE_HAS_CLOSE": "order_closed",
  "ACQ.CONTEXT_INCONSISTENT": "order_params_mismatch",
  "ACQ.TOTAL_FEE_EXCEED": "amount_limit_exceeded",
  "ACQ.BEYOND_PAY_RESTRICTION": "amount_limit_exceeded",
  "ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR": "amount_limit_exceeded",
  "ACQ.SELLER_BALANCE_NOT_ENOUGH": "insufficient_merchant_balance",
  "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL": "refund_exceeds_refundable",
  "ACQ.REASON_TRADE_REFUND_FEE_ERR": "refund_exceeds_refundable",
  "ACQ.DISCORDANT_REPEAT_REQUEST": "refund_params_mismatch",
  "ACQ.TRADE_HAS_FINISHED": "refund_not_allowed",
  "ACQ.TRADE_NOT_ALLOW_REFUND": "refund_not_allowed",
  "ACQ.REASON_TRADE_BEEN_FREEZEN": "refund_not_allowed",
  "ACQ.ACCESS_FORBIDDEN": "auth_failed",
  "ACQ.PARTNER_ERROR": "auth_failed",
  "ACQ.SYSTEM_ERROR": "channel_unavailable",
  "isp.unknow-error": "channel_unavailable",
  "isp.bill_not_exist": "bill_not_ready",
  "isv.invalid-signature": "auth_failed",
  "isv.invalid-app-id": "auth_failed",
  "isv.invalid-signature-type": "auth_failed",
  "isv.insufficient-isv-permissions": "auth_failed",
};

function classify(method: string, code: string, subCode: string): ChannelErrorCode {
  if (subCode === "ACQ.TRADE_STATUS_ERROR") {
    return method === "alipay.trade.refund" ? "refund_not_allowed" : "request_rejected";
  }
  const known = bySubCode[subCode];
  if (known) return known;
  if (code === "20000" || subCode.startsWith("isp.")) return "channel_unavailable";
  if (code === "40006") return "auth_failed";
  return "request_rejected";
}

export function channelErrorFromAlipay(
  method: string,
  code: string,
  msg: string,
  subCode = "",
  subMsg = "",
): ChannelError {
  return new ChannelError(
    classify(method, code, subCode),
    "alipay",
    `Alipay ${method}: ${code} ${msg} ${subCode} ${subMsg}`.trim(),
    subCode || code,
    200,
  );
}
