import { randomUUID } from "node:crypto";
import { channelLimits } from "../../limits.js";
import { randomAlphanumeric } from "../../random.js";
import type { CallbackFaults, CallbackJob, SendMode } from "../../sandbox/callbackDelivery.js";
import { formatRfc3339Beijing } from "../../time.js";
import { encryptAesGcm } from "../aead.js";
import { signatureProbePrefix, wechatAuthScheme } from "../signing.js";
import type { WechatSim } from "./context.js";

export interface WechatEvent {
  eventType: string;
  summary: string;
  originalType: "transaction" | "refund";
  resource: Record<string, unknown>;
  url: string;
  label: string;
}

/**
 * One encrypted event, delivered by WeChat's schedule. The envelope (id, ciphertext) is fixed once;
 * every send is signed afresh, as WeChat's retries are.
 */
export function sendWechatEvent(sim: WechatSim, event: WechatEvent, faults: CallbackFaults = {}): string {
  const nowMs = sim.now();
  const id = `EV-${randomUUID()}`;
  const nonce = randomAlphanumeric(12);
  const envelope = JSON.stringify({
    id,
    create_time: formatRfc3339Beijing(nowMs),
    resource_type: "encrypt-resource",
    event_type: event.eventType,
    summary: event.summary,
    resource: {
      original_type: event.originalType,
      algorithm: "AEAD_AES_256_GCM",
      ciphertext: encryptAesGcm(JSON.stringify(event.resource), sim.keys.apiV3Key, nonce, event.originalType),
      associated_data: event.originalType,
      nonce,
    },
  });
  const job: CallbackJob = {
    eventId: id,
    url: event.url,
    label: event.label,
    build: (mode) => request(sim, envelope, mode),
    // WeChat takes 200 or 204 as received.
    isAcknowledged: (status) => status === 200 || status === 204,
  };
  sim.delivery.enqueue(job, { ...sim.defaultCallbackFaults, ...faults });
  return id;
}

function request(sim: WechatSim, body: string, mode: SendMode) {
  const staleSec = Math.floor((sim.now() - channelLimits.wechatCallbackSkewMsMax - 60_000) / 1000);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "Wechatpay-Signature-Type": wechatAuthScheme,
    "Request-ID": sim.requestId(),
    ...sim.signedHeaders(body, mode === "stale_timestamp" ? staleSec : undefined),
  };
  if (mode === "probe") headers["Wechatpay-Signature"] = `${signatureProbePrefix}${randomAlphanumeric(40)}`;
  if (mode === "bad_signature")
    headers["Wechatpay-Signature"] = flipFirstByte(headers["Wechatpay-Signature"] ?? "");
  if (mode === "unknown_serial") headers["Wechatpay-Serial"] = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
  return { headers, body };
}

function flipFirstByte(signatureBase64: string): string {
  const bytes = Buffer.from(signatureBase64, "base64");
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  return bytes.toString("base64");
}
