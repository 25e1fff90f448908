import { createHmac } from "node:crypto";

const secretPrefix = "whsec_";

const keyCacheMax = 256;
const keys = new Map<string, Buffer>();

/** The key of a `whsec_<base64>` secret (Standard Webhooks), decoded once per secret. */
function secretKey(secret: string): Buffer {
  const cached = keys.get(secret);
  if (cached) return cached;
  if (!secret.startsWith(secretPrefix)) throw new Error("a webhook secret starts with whsec_");
  const key = Buffer.from(secret.slice(secretPrefix.length), "base64");
  if (keys.size >= keyCacheMax) keys.clear();
  keys.set(secret, key);
  return key;
}

/**
 * The `webhook-signature` header of Standard Webhooks: `v1,<base64 HMAC-SHA256>` over
 * `${id}.${timestamp}.${body}`, one per secret, space-separated (several while a secret rotates).
 */
export function webhookSignature(
  secrets: readonly string[],
  messageId: string,
  timestampSec: number,
  body: string,
): string {
  const signed = `${messageId}.${timestampSec}.${body}`;
  return secrets
    .map((secret) => `v1,${createHmac("sha256", secretKey(secret)).update(signed).digest("base64")}`)
    .join(" ");
}
