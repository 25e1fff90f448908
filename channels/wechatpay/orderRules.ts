import { channelLimits } from "../limits.js";
import type { CreateOrderInput, LimitViolation, RefundInput } from "../types.js";

const outTradeNoPattern = /^[0-9A-Za-z_\-|*]+$/;
const outRefundNoPattern = /^[0-9A-Za-z_\-|*@]+$/;

export interface WechatOrderLimits {
  amountFenMax?: bigint;
}

/** WeChat Pay's own rules for an order, checked before calling out. */
export function checkWechatOrder(input: CreateOrderInput, nowMs: number, limits: WechatOrderLimits = {}) {
  const violations: LimitViolation[] = [];
  const fail = (field: string, rule: string) => violations.push({ field, rule });
  const amountFenMax = limits.amountFenMax ?? channelLimits.wechatAmountFenMax;
  if (input.amountFen < channelLimits.wechatAmountFenMin) fail("amountFen", "at least 1 fen");
  if (input.amountFen > amountFenMax) fail("amountFen", `at most ${amountFenMax} fen`);
  const description = [...input.description].length;
  if (description < 1 || description > channelLimits.wechatDescriptionLengthMax) {
    fail("description", `1–${channelLimits.wechatDescriptionLengthMax} characters`);
  }
  const { wechatOutTradeNoLengthMin: min, wechatOutTradeNoLengthMax: max } = channelLimits;
  if (
    input.outTradeNo.length < min ||
    input.outTradeNo.length > max ||
    !outTradeNoPattern.test(input.outTradeNo)
  ) {
    fail("outTradeNo", `${min}–${max} characters of [0-9A-Za-z_-|*]`);
  }
  checkNotifyUrl(input.notifyUrl, fail);
  const expiresInMs = input.expiresAt.getTime() - nowMs;
  if (Number.isNaN(expiresInMs) || expiresInMs < channelLimits.wechatExpiryMsMin) {
    fail("expiresAt", "at least 1 minute ahead");
  }
  if (expiresInMs > channelLimits.wechatExpiryMsMax) fail("expiresAt", "at most 7 days ahead");
  if (input.attach !== undefined && input.attach.length > channelLimits.wechatAttachLengthMax) {
    fail("attach", `at most ${channelLimits.wechatAttachLengthMax} characters`);
  }
  if (input.channel === "wechat_jsapi" && !input.payerOpenId)
    fail("payerOpenId", "required for wechat_jsapi");
  if (input.payerOpenId !== undefined && input.payerOpenId.length > channelLimits.wechatOpenIdLengthMax) {
    fail("payerOpenId", "too long");
  }
  if (input.channel === "wechat_h5" && !input.clientIp) fail("clientIp", "required for wechat_h5");
  return violations;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function checkNotifyUrl(url: string, fail: (field: string, rule: string) => void) {
  const parsed = parseUrl(url);
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.search !== "") {
    fail("notifyUrl", "an absolute http(s) URL without a query");
  }
  if (url.length > channelLimits.wechatNotifyUrlLengthMax) fail("notifyUrl", "at most 255 characters");
}

export function checkWechatRefund(input: RefundInput): LimitViolation[] {
  const violations: LimitViolation[] = [];
  const fail = (field: string, rule: string) => violations.push({ field, rule });
  if (input.refundFen < 1n) fail("refundFen", "at least 1 fen");
  if (input.refundFen > input.totalFen) fail("refundFen", "at most totalFen");
  const max = channelLimits.wechatOutRefundNoLengthMax;
  if (
    input.outRefundNo.length < 1 ||
    input.outRefundNo.length > max ||
    !outRefundNoPattern.test(input.outRefundNo)
  ) {
    fail("outRefundNo", `1–${max} characters of [0-9A-Za-z_-|*@]`);
  }
  if (input.reason !== undefined && [...input.reason].length > channelLimits.wechatRefundReasonLengthMax) {
    fail("reason", `at most ${channelLimits.wechatRefundReasonLengthMax} characters`);
  }
  if (input.notifyUrl !== undefined) checkNotifyUrl(input.notifyUrl, fail);
  return violations;
}
