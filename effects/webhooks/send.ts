import http from "node:http";
import https from "node:https";
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
  EPIPE: "connection_reset",
  ENOTFOUND: "dns_failure",
  EAI_AGAIN: "dns_failure",
  ETIMEDOUT: "timeout",
  CERT_HAS_EXPIRED: "tls_error",
  DEPTH_ZERO_SELF_SIGNED_CERT: "tls_error",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "tls_error",
  SELF_SIGNED_CERT_IN_CHAIN: "tls_error",
  ERR_TLS_CERT_ALTNAME_INVALID: "tls_error",
};

function errorName(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === "string" && networkErrors[code]) || "network_error";
}

/**
 * Posts webhooks as Standard Webhooks describes them (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`). Redirects are not followed: a 3xx is a failed attempt. Connections are
 * kept alive and reused per origin; each request has one plain timer for its timeout.
 */
export function createWebhookSender(options: WebhookSenderOptions = {}) {
  const excerptMax = options.responseExcerptBytesMax ?? 1_024;
  const userAgent = options.userAgent ?? "BuffMoney-Webhooks/1.0";
  const agentOptions = { keepAlive: true, maxSockets: 64, maxFreeSockets: 64, scheduling: "lifo" as const };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  /** Parsed endpoint URLs (a few per endpoint), so that each request skips parsing. */
  const targets = new Map<string, Target | null>();
  const targetOf = (url: string): Target | null => {
    let target = targets.get(url);
    if (target !== undefined) return target;
    target = parseTarget(url);
    if (targets.size >= 1_024) targets.clear();
    targets.set(url, target);
    return target;
  };
  return (request: WebhookRequest): Promise<WebhookResponse> =>
    new Promise<WebhookResponse>((resolve) => {
      const started = performance.now();
      const timestampSec = Math.floor(Date.now() / 1000);
      const target = targetOf(request.url);
      if (!target) {
        return resolve({ statusCode: null, error: "network_error", latencyMs: 0, responseExcerpt: "" });
      }
      const secure = target.secure;
      const body = Buffer.from(request.body, "utf8");
      let statusCode: number | null = null;
      const chunks: Buffer[] = [];
      let total = 0;
      let done = false;
      let req: http.ClientRequest | undefined;
      const timer = setTimeout(() => {
        finish("timeout");
        req?.destroy();
      }, request.timeoutMs);
      const finish = (error: string | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({
          statusCode,
          // A receiver that answers and then stalls its body still answered: keep the status.
          error: statusCode === null ? (error ?? "network_error") : null,
          latencyMs: elapsed(started),
          responseExcerpt:
            statusCode === null ? "" : Buffer.concat(chunks).subarray(0, excerptMax).toString("utf8"),
        });
      };
      try {
        req = (secure ? https : http).request({
          protocol: secure ? "https:" : "http:",
          hostname: target.hostname,
          port: target.port,
          path: target.path,
          method: "POST",
          agent: secure ? httpsAgent : httpAgent,
          // Raw headers (name, value, …) skip the header map; Host is then ours to send.
          headers: [
            "host",
            target.host,
            "content-type",
            "application/json",
            "content-length",
            String(body.byteLength),
            "user-agent",
            userAgent,
            "webhook-id",
            request.messageId,
            "webhook-timestamp",
            String(timestampSec),
            "webhook-signature",
            webhookSignature(request.secrets, request.messageId, timestampSec, request.body),
          ],
        });
      } catch (error) {
        return finish(errorName(error));
      }
      req.on("error", (error) => finish(errorName(error)));
      req.on("response", (res) => {
        statusCode = res.statusCode ?? null;
        res.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          total += chunk.byteLength;
          if (total < excerptMax) return;
          // Enough for the excerpt: the rest of a long body is not read (nor the socket reused).
          finish(null);
          res.destroy();
        });
        res.on("end", () => finish(null));
        res.on("error", () => finish(null));
        res.on("aborted", () => finish(null));
        res.on("close", () => finish(null));
      });
      req.end(body);
    });
}

interface Target {
  secure: boolean;
  hostname: string;
  port: string;
  /** The Host header: host and, unless the default, port (IPv6 literals bracketed). */
  host: string;
  path: string;
}

function parseTarget(raw: string): Target | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  return {
    secure: url.protocol === "https:",
    // IPv6 literals come bracketed in URL.hostname; http.request wants them bare.
    hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port || (url.protocol === "https:" ? "443" : "80"),
    path: `${url.pathname}${url.search}`,
    host: url.host,
  };
}

const elapsed = (started: number) => Math.round(performance.now() - started);
