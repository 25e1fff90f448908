import { channelLimits } from "../limits.js";
import type { CreateOrderInput, LimitViolation, RefundInput } from "../types.js";

const outTradeNoPattern = /^[0-9A-Za-z_]+$/;

export interface AlipayOrderLimits {
  /** Tighter than Alipay's ¥100,000,000 single-payment maximum, e.g. a contract cap. */
  amountFenMax?: bigint;
}

export function checkAlipayOrder(input: CreateOrderInput, nowMs: number, limits: AlipayOrderLimits = {}) {
  const violations: LimitViolation[] = [];
  const fail = (field: string, rule: string) => violations.push({ field, rule });
  const max = limits.amountFenMax ?? channelLimits.alipayAmountFenMax;
  if (input.amountFen < channelLimits.alipayAmountFenMin) fail("amountFen", "at least 1 fen (¥0.01)");
  if (input.amountFen > max) fail("amountFen", `at most ${max} fen`);
  const subject = [...input.description].length;
  if (subject < 1 || subject > channelLimits.alipaySubjectLengthMax) {
    fail("description", `1–${channelLimits.alipaySubjectLengthMax} characters`);
  }
  const lengthMax = channelLimits.alipayOutTradeNoLengthMax;
  if (
    input.outTradeNo.length < 1 ||
    input.outTradeNo.length > lengthMax ||
    !outTradeNoPattern.test(input.outTradeNo)
  ) {
    fail("outTradeNo", `1–${lengthMax} characters of [0-9A-Za-z_]`);
  }
  if (!isHttpUrl(input.notifyUrl)) fail("notifyUrl", "an absolute http(s) URL");
  if (input.returnUrl !== undefined && !isHttpUrl(input.returnUrl))
    fail("returnUrl", "an absolute http(s) URL");
  const expiresInMs = input.expiresAt.getTime() - nowMs;
  if (Number.isNaN(expiresInMs) || expiresInMs < channelLimits.alipayExpiryMsMin) {
    fail("expiresAt", "at least 1 minute ahead");
  }
  if (expiresInMs > channelLimits.alipayExpiryMsMax) fail("expiresAt", "at most 15 days ahead");
  return violations;
}

function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}

export function checkAlipayRefund(input: RefundInput): LimitViolation[] {
  const violations: LimitViolation[] = [];
  const fail = (field: string, rule: string) => violations.push({ field, rule });
  if (input.refundFen < 1n) fail("refundFen", "at least 1 fen");
  if (input.refundFen > input.totalFen) fail("refundFen", "at most totalFen");
  const max = channelLimits.alipayOutRequestNoLengthMax;
  if (input.outRefundNo.length < 1 || input.outRefundNo.length > max)
    fail("outRefundNo", `1–${max} characters`);
  if (input.reason !== undefined && [...input.reason].length > channelLimits.alipayRefundReasonLengthMax) {
    fail("reason", `at most ${channelLimits.alipayRefundReasonLengthMax} characters`);
  }
  return violations;
}
