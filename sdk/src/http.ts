import { BuffMoneyConnectionError, BuffMoneyError, errorFromProblem } from "./errors.js";
import { isRetryable, retryAfterMs, retryDelayMs, sleep } from "./retryPolicy.js";
import { sdkVersion } from "./version.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

export interface RequestSpec {
  method: HttpMethod;
  /** Starts with "/v1/"; build it with the `path` tag so IDs are encoded. */
  path: string;
  query?: Record<string, string | number | undefined> | undefined;
  body?: unknown;
  /** Mutating methods only; generated when absent. */
  idempotencyKey?: string | undefined;
  /** Default "application/json". Any other media type (a PDF) answers the body's bytes as a Uint8Array. */
  accept?: string | undefined;
}

export interface TransportConfig {
  token: string;
  baseUrl: string;
  maxRetries: number;
  timeoutMs: number;
  retryDelayMsBase: number;
  fetch: FetchLike;
}

const jsonMediaType = "application/json";

type AttemptOutcome =
  | { ok: true; body: unknown }
  | {
      ok: false;
      error: BuffMoneyError | BuffMoneyConnectionError;
      retryable: boolean;
      retryAfterMs: number | undefined;
    };

/** Internal: sends one logical request, retrying it under a single idempotency key. */
export class Transport {
  constructor(private readonly config: TransportConfig) {}

  async request<T>(spec: RequestSpec): Promise<T> {
    const url = this.url(spec);
    const accept = spec.accept ?? jsonMediaType;
    const init = this.init(spec, accept);
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.attempt(url, init, accept);
      // The server's contract is the schema; the SDK stays dependency-free and does not re-parse.
      if (outcome.ok) return outcome.body as T;
      if (!outcome.retryable || attempt >= this.config.maxRetries) throw outcome.error;
      await sleep(outcome.retryAfterMs ?? retryDelayMs(attempt, this.config.retryDelayMsBase));
    }
  }

  private url(spec: RequestSpec): string {
    const url = new URL(this.config.baseUrl + spec.path);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /** Built once per call, so every retry carries the same Idempotency-Key. */
  private init(spec: RequestSpec, accept: string): RequestInit {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.config.token}`,
      Accept: accept,
      // Not User-Agent: Workers and browsers do not let scripts set it.
      "BuffMoney-Sdk": `ts/${sdkVersion}`,
    };
    if (spec.method !== "GET") {
      headers["Idempotency-Key"] = spec.idempotencyKey ?? globalThis.crypto.randomUUID();
    }
    if (spec.body === undefined) return { method: spec.method, headers };
    headers["Content-Type"] = "application/json";
    return { method: spec.method, headers, body: JSON.stringify(spec.body) };
  }

  private async attempt(url: string, init: RequestInit, accept: string): Promise<AttemptOutcome> {
    const binary = accept !== jsonMediaType;
    let response: Response;
    let body: string | Uint8Array;
    try {
      // The timeout covers the body too: aborting the signal aborts the body stream.
      response = await this.config.fetch(url, {
        ...init,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      // Errors are problem+json whatever was asked for.
      body = binary && response.ok ? new Uint8Array(await response.arrayBuffer()) : await response.text();
    } catch (cause) {
      const error = new BuffMoneyConnectionError(this.describeFailure(init, url, cause), { cause });
      return { ok: false, error, retryable: true, retryAfterMs: undefined };
    }
    if (typeof body === "string") return outcomeOf(response, body);
    return binaryOutcomeOf(response, body, accept);
  }

  private describeFailure(init: RequestInit, url: string, cause: unknown): string {
    const target = `${init.method ?? "GET"} ${url}`;
    if (isTimeout(cause)) return `${target} timed out after ${this.config.timeoutMs} ms`;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return `${target} failed: ${reason}`;
  }
}

function outcomeOf(response: Response, text: string): AttemptOutcome {
  const body = parseJson(text);
  if (response.ok) {
    if (body.ok) return { ok: true, body: body.value };
    const error = new BuffMoneyError({
      code: "invalid_response",
      status: response.status,
      message: `Expected a JSON body, got ${JSON.stringify(text.slice(0, 100))}`,
      raw: text,
    });
    return { ok: false, error, retryable: false, retryAfterMs: undefined };
  }
  const error = errorFromProblem(response.status, body.ok ? body.value : text);
  return {
    ok: false,
    error,
    retryable: isRetryable(response.status, error.code),
    retryAfterMs: retryAfterMs(response.headers.get("Retry-After")),
  };
}

/** A 2xx of another media type (a proxy's HTML page) is not handed out as the asked-for file. */
function binaryOutcomeOf(response: Response, body: Uint8Array, accept: string): AttemptOutcome {
  const mediaType = (response.headers.get("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (mediaType === accept) return { ok: true, body };
  const error = new BuffMoneyError({
    code: "invalid_response",
    status: response.status,
    message: `Expected ${accept}, got ${JSON.stringify(mediaType || "no Content-Type")}`,
    raw: body,
  });
  return { ok: false, error, retryable: false, retryAfterMs: undefined };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function isTimeout(cause: unknown): boolean {
  return typeof cause === "object" && cause !== null && "name" in cause && cause.name === "TimeoutError";
}
