import type { FeedEvent } from "./resources/events.js";

/** Header values as a `Headers`, or as Node's `req.headers` (lower-case names, string or string[]). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookParams {
  /** The request body exactly as received (bytes or text), before any JSON parsing. */
  payload: string | Uint8Array;
  headers: WebhookHeaders;
  /** The endpoint's `whsec_…` secret; during a rotation, the old and the new. */
  secret: string | readonly string[];
  /** How far the `webhook-timestamp` may be from now. Default 300 s (Standard Webhooks). */
  toleranceSeconds?: number;
  /** Now, in milliseconds; for tests. */
  now?: number;
}

/** The delivery is not from BuffMoney, was changed on the way, or is too old to trust. */
export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
}

const secretPrefix = "whsec_";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Checks a webhook delivery's Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`: HMAC-SHA256 over `id.timestamp.body`) and answers its event. Uses Web Crypto
 * only, so it runs in Node 20, Deno and Cloudflare Workers. Deliveries are at least once: keep the
 * event `id`s you have handled and skip repeats.
 */
export async function verifyWebhook(params: VerifyWebhookParams): Promise<FeedEvent> {
  const id = header(params.headers, "webhook-id");
  const timestamp = header(params.headers, "webhook-timestamp");
  const signatures = header(params.headers, "webhook-signature");
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header");
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError("webhook-timestamp is not a number");
  const toleranceSeconds = params.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((params.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) {
    throw new WebhookVerificationError(
      `webhook-timestamp is more than ${toleranceSeconds} s from now: an old or replayed delivery`,
    );
  }
  const body = typeof params.payload === "string" ? params.payload : decoder.decode(params.payload);
  const signed = encoder.encode(`${id}.${timestamp}.${body}`);
  const presented = signatures
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => s.slice(3));
  const secrets = typeof params.secret === "string" ? [params.secret] : params.secret;
  for (const secret of secrets) {
    const expected = await hmacBase64(secretKeyBytes(secret), signed);
    if (presented.some((candidate) => sameText(candidate, expected))) return JSON.parse(body) as FeedEvent;
  }
  throw new WebhookVerificationError("no webhook-signature matches the secret");
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value.join(" ") : value;
}

function secretKeyBytes(secret: string): Uint8Array<ArrayBuffer> {
  if (!secret.startsWith(secretPrefix)) throw new TypeError("a webhook secret starts with whsec_");
  const binary = atob(secret.slice(secretPrefix.length));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function hmacBase64(key: Uint8Array<ArrayBuffer>, message: Uint8Array<ArrayBuffer>): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, message));
  return btoa(String.fromCharCode(...mac));
}

/** Compares in time that depends on the length only, not on where the texts differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
