import http from "node:http";
import https from "node:https";
import { bareHostname, webhookUrlRefusal, type WebhookUrlPolicy } from "../../domain/webhookUrls.js";
import { addressNotAllowed, guardedLookup } from "./guard.js";
import { webhookSignature } from "./sign.js";

/** One delivery attempt: the event body goes to `url`, signed with every secret. */
export interface WebhookRequest {
  url: string;
  /** The event id: receivers deduplicate by it. */
  messageId: string;
  body: string;
  secrets: readonly string[];
  timeoutMs: number;
  /** Where this endpoint's environment lets webhooks go: checked before and as the request connects. */
  policy: WebhookUrlPolicy;
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
  [addressNotAllowed]: "address_not_allowed",
};

function errorName(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === "string" && networkErrors[code]) || "network_error";
}

/**
 * Posts webhooks as Standard Webhooks describes them (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`). Redirects are not followed: a 3xx is a failed attempt. Connections are
 * kept alive and reused per origin; each request has one plain timer for its timeout. Unless the
 * policy allows private addresses, the URL and then every address its host resolves to must be
 * public, and the connection goes to the addresses checked.
 */
export function createWebhookSender(options: WebhookSenderOptions = {}) {
  const excerptMax = options.responseExcerptBytesMax ?? 1_024;
  const userAgent = options.userAgent ?? "BuffMoney-Webhooks/1.0";
  const agentOptions = { keepAlive: true, maxSockets: 64, maxFreeSockets: 64, scheduling: "lifo" as const };
  // Connections to private addresses are pooled apart, so that no policy reuses another's.
  const guarded = { ...agentOptions, lookup: guardedLookup({ allowPrivate: false, httpsOnly: false }) };
  const agents = {
    open: { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) },
    guarded: { http: new http.Agent(guarded), https: new https.Agent(guarded) },
  };
  /** Parsed endpoint URLs (a few per endpoint and policy), so that each request skips parsing. */
  const targets = new Map<string, Target | Refused>();
  const targetOf = (url: string, policy: WebhookUrlPolicy): Target | Refused => {
    const key = `${+policy.allowPrivate}${+policy.httpsOnly}${url}`;
    let target = targets.get(key);
    if (target !== undefined) return target;
    const refusal = webhookUrlRefusal(url, policy);
    target = refusal === null ? parseTarget(url) : { refusal };
    if (targets.size >= 1_024) targets.clear();
    targets.set(key, target);
    return target;
  };
  return (request: WebhookRequest): Promise<WebhookResponse> =>
    new Promise<WebhookResponse>((resolve) => {
      const started = performance.now();
      const timestampSec = Math.floor(Date.now() / 1000);
      const target = targetOf(request.url, request.policy);
      if ("refusal" in target) {
        return resolve({ statusCode: null, error: "url_not_allowed", latencyMs: 0, responseExcerpt: "" });
      }
      const secure = target.secure;
      const agent = (request.policy.allowPrivate ? agents.open : agents.guarded)[secure ? "https" : "http"];
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
          agent,
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

/** A URL the policy refuses (its scheme, or an address in it): nothing is sent. */
interface Refused {
  refusal: string;
}

interface Target {
  secure: boolean;
  hostname: string;
  port: string;
  /** The Host header: host and, unless the default, port (IPv6 literals bracketed). */
  host: string;
  path: string;
}

/** A URL the policy allows (so a valid http or https URL). */
function parseTarget(raw: string): Target {
  const url = new URL(raw);
  return {
    secure: url.protocol === "https:",
    hostname: bareHostname(url),
    port: url.port || (url.protocol === "https:" ? "443" : "80"),
    path: `${url.pathname}${url.search}`,
    host: url.host,
  };
}

const elapsed = (started: number) => Math.round(performance.now() - started);
