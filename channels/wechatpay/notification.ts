import { bodyBytes, bodyText } from "../headers.js";
import { channelLimits } from "../limits.js";
import type { NonceStore } from "../nonceStore.js";
import { parseRfc3339 } from "../time.js";
import type {
  CallbackAck,
  CallbackHeaders,
  CallbackRejection,
  CallbackResult,
  ChannelNotification,
} from "../types.js";
import { decryptAesGcm } from "./aead.js";
import type { WechatPayClient } from "./client.js";
import { notificationSchema, refundNotifyResourceSchema, transactionSchema } from "./schemas.js";

const json = "application/json; charset=utf-8";

export const wechatAcks = {
  accepted: { status: 200, contentType: json, body: JSON.stringify({ code: "SUCCESS", message: "成功" }) },
  failed: (status: number): CallbackAck => ({
    status,
    contentType: json,
    body: JSON.stringify({ code: "FAIL", message: "失败" }),
  }),
} as const;

const statusByRejection: Record<CallbackRejection, number> = {
  bad_signature: 401,
  signature_probe: 401,
  stale_timestamp: 401,
  unknown_serial: 401,
  replayed_nonce: 401,
  malformed: 400,
  decrypt_failed: 400,
  wrong_merchant: 400,
  unsupported_event: 200,
};

function reject(rejection: CallbackRejection, detail: string): CallbackResult {
  const status = statusByRejection[rejection];
  // A verified event we do not handle is acknowledged so WeChat stops resending it.
  const ack = status === 200 ? wechatAcks.accepted : wechatAcks.failed(status);
  return { accepted: false, rejection, detail, ack };
}

function accept(notification: ChannelNotification): CallbackResult {
  return { accepted: true, notification, ack: wechatAcks.accepted, nack: wechatAcks.failed(500) };
}

/** Verify → refuse replays → decrypt → normalise. Never throws on bad input. */
export async function parseWechatPayCallback(
  client: WechatPayClient,
  nonces: NonceStore,
  headers: CallbackHeaders,
  rawBody: Uint8Array | string,
): Promise<CallbackResult> {
  if (bodyBytes(rawBody) > channelLimits.callbackBodyBytesMax) return reject("malformed", "body too large");
  const body = bodyText(rawBody);
  const check = await client.verifyWithRefresh(headers, body);
  if (!check.ok) return reject(check.reason, check.detail);
  const expiresAtMs = check.timestampSec * 1000 + channelLimits.wechatCallbackSkewMsMax;
  if (!(await nonces.remember(check.nonce, expiresAtMs, client.now()))) {
    return reject("replayed_nonce", `nonce ${check.nonce} seen before`);
  }
  let envelope: ReturnType<typeof notificationSchema.parse>;
  try {
    envelope = notificationSchema.parse(JSON.parse(body));
  } catch {
    return reject("malformed", "not a WeChat Pay notification");
  }
  let plaintext: string;
  try {
    const { ciphertext, nonce, associated_data } = envelope.resource;
    plaintext = decryptAesGcm({ ciphertext, nonce, associatedData: associated_data }, client.apiV3Key);
  } catch {
    return reject("decrypt_failed", "AEAD_AES_256_GCM tag does not verify");
  }
  try {
    return normalize(client, envelope.id, envelope.event_type, JSON.parse(plaintext));
  } catch {
    return reject("malformed", "decrypted resource does not parse");
  }
}

function normalize(
  client: WechatPayClient,
  eventId: string,
  eventType: string,
  resource: unknown,
): CallbackResult {
  if (eventType === "TRANSACTION.SUCCESS") {
    const t = transactionSchema.parse(resource);
    if (t.mchid !== client.mchid || t.appid !== client.appid)
      return reject("wrong_merchant", `mchid ${t.mchid}`);
    const paidAt = parseRfc3339(t.success_time ?? "");
    if (
      t.trade_state !== "SUCCESS" ||
      !t.transaction_id ||
      paidAt === null ||
      t.amount?.total === undefined
    ) {
      return reject("malformed", "TRANSACTION.SUCCESS without a successful transaction");
    }
    return accept({
      type: "payment_succeeded",
      provider: "wechatpay",
      eventId,
      outTradeNo: t.out_trade_no,
      transactionId: t.transaction_id,
      amountFen: BigInt(t.amount.total),
      currency: "CNY",
      paidAt: new Date(paidAt),
      ...(t.payer?.openid ? { payerId: t.payer.openid } : {}),
      ...(t.attach ? { attach: t.attach } : {}),
    });
  }
  if (eventType.startsWith("REFUND.")) {
    const r = refundNotifyResourceSchema.parse(resource);
    if (r.mchid !== client.mchid) return reject("wrong_merchant", `mchid ${r.mchid}`);
    const common = {
      provider: "wechatpay" as const,
      eventId,
      outTradeNo: r.out_trade_no,
      transactionId: r.transaction_id,
      outRefundNo: r.out_refund_no,
      refundId: r.refund_id,
    };
    if (eventType === "REFUND.SUCCESS" && r.refund_status === "SUCCESS") {
      const succeededAt = parseRfc3339(r.success_time ?? "");
      if (succeededAt === null) return reject("malformed", "REFUND.SUCCESS without success_time");
      return accept({
        type: "refund_succeeded",
        ...common,
        refundFen: BigInt(r.amount.refund),
        totalFen: BigInt(r.amount.total),
        succeededAt: new Date(succeededAt),
      });
    }
    // ABNORMAL is not final (re-submitted to another account, it still succeeds): only CLOSED fails.
    if (r.refund_status !== "CLOSED")
      return accept({ type: "refund_processing", ...common, channelState: r.refund_status });
    return accept({
      type: "refund_failed",
      ...common,
      refundFen: BigInt(r.amount.refund),
      channelState: r.refund_status,
    });
  }
  return reject("unsupported_event", `event_type ${eventType}`);
}
