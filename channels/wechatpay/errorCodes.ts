import { ChannelError, type ChannelErrorCode } from "../errors.js";

/** v2-era and alternative spellings that still circulate, to their v3 form. */
const legacySpellings: Record<string, string> = {
  ORDERPAID: "ORDER_PAID",
  ORDERCLOSED: "ORDER_CLOSED",
  ORDERNOTEXIST: "ORDER_NOT_EXIST",
  NOTENOUGH: "NOT_ENOUGH",
  SYSTEMERROR: "SYSTEM_ERROR",
  NOAUTH: "NO_AUTH",
  RULELIMIT: "RULE_LIMIT",
  FREQUENCYLIMITED: "FREQUENCY_LIMITED",
  FREQUENCY_LIMIT_EXCEED: "FREQUENCY_LIMITED",
  SIGNERROR: "SIGN_ERROR",
  PARAMERROR: "PARAM_ERROR",
  BANKERROR: "BANK_ERROR",
};

export function normalizeWechatCode(code: string): string {
  return legacySpellings[code] ?? code;
}

export type WechatOperation =
  "create" | "query" | "close" | "refund" | "refund_query" | "tradebill" | "bill_download" | "certificates";

const byCode: Record<string, ChannelErrorCode> = {
  ORDER_PAID: "order_paid",
  ORDER_CLOSED: "order_closed",
  ORDER_NOT_EXIST: "order_not_found",
  OUT_TRADE_NO_USED: "order_params_mismatch",
  NOT_ENOUGH: "insufficient_merchant_balance",
  USER_ACCOUNT_ABNORMAL: "refund_not_allowed",
  RULE_LIMIT: "amount_limit_exceeded",
  SIGN_ERROR: "auth_failed",
  NO_AUTH: "auth_failed",
  APPID_MCHID_NOT_MATCH: "auth_failed",
  MCH_NOT_EXISTS: "auth_failed",
  FREQUENCY_LIMITED: "rate_limited",
  SYSTEM_ERROR: "channel_unavailable",
  BANK_ERROR: "channel_unavailable",
  STATEMENT_CREATING: "bill_not_ready",
  NO_STATEMENT_EXIST: "bill_not_found",
};

function classify(
  code: string,
  message: string,
  status: number,
  operation: WechatOperation,
): ChannelErrorCode {
  if (code === "RESOURCE_NOT_EXISTS")
    return operation === "refund_query" ? "refund_not_found" : "order_not_found";
  if (code === "INVALID_REQUEST" && message.includes("不一致")) {
    return operation === "refund" ? "refund_params_mismatch" : "order_params_mismatch";
  }
  if (code === "INVALID_REQUEST" && operation === "refund" && message.includes("超过")) {
    return "refund_exceeds_refundable";
  }
  if (code === "INVALID_REQUEST" && operation === "refund") return "refund_not_allowed";
  const known = byCode[code];
  if (known) return known;
  if (status >= 500) return "channel_unavailable";
  if (status === 429) return "rate_limited";
  return "request_rejected";
}

export function channelErrorFromWechat(
  operation: WechatOperation,
  status: number,
  rawCode: string,
  message: string,
  detail?: unknown,
): ChannelError {
  const code = normalizeWechatCode(rawCode);
  return new ChannelError(
    classify(code, message, status, operation),
    "wechatpay",
    `WeChat Pay ${operation}: ${status} ${rawCode} ${message}`.trim(),
    rawCode,
    status,
    detail === undefined ? undefined : { detail },
  );
}
