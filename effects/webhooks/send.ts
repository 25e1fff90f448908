import { webhookSignature } from "./sign.js";

/** One delivery attempt: the event body goes to `url`, signed with every secret. */
export interface WebhookRequest {
  url: string;
  /** The event id: receivers deduplicate by it. */
  messageId: string;
  body: string;
  secrets: readonly string[];
  timeoutMs: number;
}

/** What came back; an attempt succeeded when `statusCode` is 2xx. */
export interface WebhookResponse {
  statusCode: number | null;
  /** `timeout`, `connection_refused`, … when no HTTP status arrived. */
  error: string | null;
  latencyMs: number;
  /** The first bytes of the response body. */
  responseExcerpt: string;
}

export interface WebhookSenderOptions {
  responseExcerptBytesMax?: number;
  userAgent?: string;
}

const networkErrors: Record<string, string> = {
  ECONNREFUSED: "connection_refused",
  ECONNRESET: "connection_reset",
  ENOTFOUND: "dns_failure",
  EAI_AGAIN: "dns_failure",
  UND_ERR_SOCKET: "connection_reset",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  CERT_HAS_EXPIRED: "tls_error",
  DEPTH_ZERO_SELF_SIGNED_CERT: "tls_error",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "tls_error",
};

function errorName(error: unknown, timedOut: boolean): string {
  if (timedOut) return "timeout";
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  return (code && networkErrors[code]) ?? "network_error";
}

async function readExcerpt(response: Response, bytesMax: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < bytesMax) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, bytesMax).toString("utf8");
}

/**
 * Posts webhooks as Standard Webhooks describes them (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`). Redirects are not followed: a 3xx is a failed attempt.
 */
export function createWebhookSender(options: WebhookSenderOptions = {}) {
  const excerptMax = options.responseExcerptBytesMax ?? 1_024;
  const userAgent = options.userAgent ?? "BuffMoney-Webhooks/1.0";
  return async (request: WebhookRequest): Promise<WebhookResponse> => {
    const started = performance.now();
    const timestampSec = Math.floor(Date.now() / 1000);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    try {
      const response = await fetch(request.url, {
        method: "POST",
        redirect: "manual",
        signal: controller.signal,
        headers: {
          "content-type": "application/json",
          "user-agent": userAgent,
          "webhook-id": request.messageId,
          "webhook-timestamp": String(timestampSec),
          "webhook-signature": webhookSignature(
            request.secrets,
            request.messageId,
            timestampSec,
            request.body,
          ),
        },
        body: request.body,
      });
      // A receiver that answers and then stalls its body still answered: keep the status.
      const responseExcerpt = await readExcerpt(response, excerptMax).catch(() => "");
      return { statusCode: response.status, error: null, latencyMs: elapsed(started), responseExcerpt };
    } catch (error) {
      return {
        statusCode: null,
        error: errorName(error, timedOut),
        latencyMs: elapsed(started),
        responseExcerpt: "",
      };
    } finally {
      clearTimeout(timer);
    }
  };
}

const elapsed = (started: number) => Math.round(performance.now() - started);
