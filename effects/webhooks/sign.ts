import { createHmac } from "node:crypto";

const secretPrefix = "whsec_";

/** The key bytes of a `whsec_<base64>` secret (Standard Webhooks). */
function secretKeyBytes(secret: string): Buffer {
  if (!secret.startsWith(secretPrefix)) throw new Error("a webhook secret starts with whsec_");
  return Buffer.from(secret.slice(secretPrefix.length), "base64");
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
    .map((secret) => `v1,${createHmac("sha256", secretKeyBytes(secret)).update(signed).digest("base64")}`)
    .join(" ");
}
