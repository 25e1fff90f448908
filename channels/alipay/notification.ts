import { bodyBytes, bodyText } from "../headers.js";
import { channelLimits } from "../limits.js";
import { yuanToFen } from "../money.js";
import { parseBeijingDateTime } from "../time.js";
import type { CallbackAck, CallbackRejection, CallbackResult, ChannelNotification } from "../types.js";
import type { AlipayClient } from "./client.js";
import { notifySignExclusions, verifyAlipayParams } from "./signing.js";

const text = "text/plain; charset=utf-8";

export const alipayAcks = {
  /** Alipay stops resending only on this exact body. */
  accepted: { status: 200, contentType: text, body: "success" },
  failed: (status: number): CallbackAck => ({ status, contentType: text, body: "fail" }),
} as const;

function reject(rejection: CallbackRejection, detail: string): CallbackResult {
  // A verified event we do not handle is acknowledged so Alipay stops resending it.
  const ack = rejection === "unsupported_event" ? alipayAcks.accepted : alipayAcks.failed(400);
  return { accepted: false, rejection, detail, ack };
}

function accept(notification: ChannelNotification): CallbackResult {
  return { accepted: true, notification, ack: alipayAcks.accepted, nack: alipayAcks.failed(500) };
}

/** Parses the form body (values URL-decoded), verifies RSA2 without `sign` and `sign_type`, normalises. */
export function parseAlipayCallback(client: AlipayClient, rawBody: Uint8Array | string): CallbackResult {
  if (bodyBytes(rawBody) > channelLimits.callbackBodyBytesMax) return reject("malformed", "body too large");
  const params = Object.fromEntries(new URLSearchParams(bodyText(rawBody)));
  if (!params.sign || !params.notify_id || !params.trade_status)
    return reject("malformed", "not an Alipay notify");
  if (params.sign_type && params.sign_type !== "RSA2")
    return reject("bad_signature", `sign_type ${params.sign_type}`);
  if (!verifyAlipayParams(params, client.alipayPublicKey, notifySignExclusions)) {
    return reject("bad_signature", "RSA2 signature does not verify");
  }
  if (params.app_id !== client.appId) return reject("wrong_merchant", `app_id ${params.app_id}`);
  if (client.sellerId !== undefined && params.seller_id !== client.sellerId) {
    return reject("wrong_merchant", `seller_id ${params.seller_id}`);
  }
  return normalize(params);
}

function normalize(p: Record<string, string>): CallbackResult {
  const totalFen = yuanToFen(p.total_amount ?? "");
  const tradeNo = p.trade_no ?? "";
  const outTradeNo = p.out_trade_no ?? "";
  if (totalFen === null || !tradeNo || !outTradeNo) return reject("malformed", "missing trade fields");
  const common = {
    provider: "alipay" as const,
    eventId: p.notify_id ?? "",
    outTradeNo,
    transactionId: tradeNo,
  };
  const status = p.trade_status;
  const refundAt = parseBeijingDateTime(p.gmt_refund ?? "");
  const refundedTotalFen = yuanToFen(p.refund_fee ?? "");
  const isRefund = Boolean(p.out_biz_no) && refundAt !== null && refundedTotalFen !== null;
  if ((status === "TRADE_SUCCESS" || status === "TRADE_CLOSED" || status === "TRADE_FINISHED") && isRefund) {
    return accept({
      type: "refund_succeeded",
      ...common,
      outRefundNo: p.out_biz_no ?? "",
      refundedTotalFen: refundedTotalFen ?? 0n,
      totalFen,
      succeededAt: new Date(refundAt ?? 0),
    });
  }
  if (status === "TRADE_SUCCESS" || status === "TRADE_FINISHED") {
    const paidAt = parseBeijingDateTime(p.gmt_payment ?? "");
    if (paidAt === null) return reject("malformed", "paid notify without gmt_payment");
    const payerId = p.buyer_id || p.buyer_open_id;
    const attach = p.passback_params ? safeDecode(p.passback_params) : undefined;
    return accept({
      type: "payment_succeeded",
      ...common,
      amountFen: totalFen,
      currency: "CNY",
      paidAt: new Date(paidAt),
      ...(payerId ? { payerId } : {}),
      ...(attach !== undefined ? { attach } : {}),
    });
  }
  if (status === "TRADE_CLOSED") {
    const closedAt = parseBeijingDateTime(p.gmt_close ?? p.notify_time ?? "");
    return accept({ type: "payment_closed", ...common, closedAt: new Date(closedAt ?? 0) });
  }
  return reject("unsupported_event", `trade_status ${status}`);
}

/** `passback_params` travels URL-encoded inside the (already decoded) form value. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
