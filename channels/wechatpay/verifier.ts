import { headerValue } from "../headers.js";
import { verifySha256WithRsa } from "../rsa.js";
import type { CallbackHeaders, CallbackRejection } from "../types.js";
import type { PlatformKeyRing } from "./platformKeys.js";
import { responseSignMessage, signatureProbePrefix } from "./signing.js";

export type SignatureCheck =
  | { ok: true; serial: string; nonce: string; timestampSec: number }
  | { ok: false; reason: CallbackRejection; detail: string; serial?: string };

/**
 * Checks `Wechatpay-Timestamp/Nonce/Signature/Serial` over `TIMESTAMP\nNONCE\nBODY\n`.
 * Order matters: probes first (they are expected, not attacks), then freshness, then the key.
 */
export function checkWechatSignature(
  headers: CallbackHeaders,
  body: string,
  keys: PlatformKeyRing,
  nowMs: number,
  skewMsMax: number,
): SignatureCheck {
  const timestamp = headerValue(headers, "Wechatpay-Timestamp");
  const nonce = headerValue(headers, "Wechatpay-Nonce");
  const signature = headerValue(headers, "Wechatpay-Signature");
  const serial = headerValue(headers, "Wechatpay-Serial");
  if (signature?.startsWith(signatureProbePrefix)) {
    return { ok: false, reason: "signature_probe", detail: "WeChat Pay signature probe" };
  }
  if (!timestamp || !nonce || !signature || !serial) {
    return { ok: false, reason: "malformed", detail: "missing Wechatpay-* signature headers" };
  }
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: "malformed", detail: "bad Wechatpay-Timestamp" };
  const timestampSec = Number(timestamp);
  if (Math.abs(nowMs - timestampSec * 1000) >= skewMsMax) {
    return {
      ok: false,
      reason: "stale_timestamp",
      detail: `timestamp ${timestamp} outside ±${skewMsMax} ms`,
    };
  }
  const key = keys.get(serial);
  if (!key)
    return { ok: false, reason: "unknown_serial", detail: `unknown Wechatpay-Serial ${serial}`, serial };
  if (!verifySha256WithRsa(key, responseSignMessage(timestamp, nonce, body), signature)) {
    return { ok: false, reason: "bad_signature", detail: "signature does not verify" };
  }
  return { ok: true, serial, nonce, timestampSec };
}
