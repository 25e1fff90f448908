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
  /** POST and PATCH only; generated when absent. */
  idempotencyKey?: string | undefined;
}

export interface TransportConfig {
  token: string;
  baseUrl: string;
  maxRetries: number;
  timeoutMs: number;
  retryDelayMsBase: number;
  fetch: FetchLike;
}

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
    const init = this.init(spec);
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.attempt(url, init);
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
  private init(spec: RequestSpec): RequestInit {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.config.token}`,
      Accept: "application/json",
      // Not User-Agent: Workers and browsers do not let scripts set it.
      "BuffMoney-Sdk": `ts/${sdkVersion}`,
    };
    if (spec.method === "POST" || spec.method === "PATCH") {
      headers["Idempotency-Key"] = spec.idempotencyKey ?? globalThis.crypto.randomUUID();
    }
    if (spec.body === undefined) return { method: spec.method, headers };
    headers["Content-Type"] = "application/json";
    return { method: spec.method, headers, body: JSON.stringify(spec.body) };
  }

  private async attempt(url: string, init: RequestInit): Promise<AttemptOutcome> {
    let response: Response;
    let text: string;
    try {
      // The timeout covers the body too: aborting the signal aborts the body stream.
      response = await this.config.fetch(url, {
        ...init,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      const error = new BuffMoneyConnectionError(this.describeFailure(init, url, cause), { cause });
      return { ok: false, error, retryable: true, retryAfterMs: undefined };
    }
    return outcomeOf(response, text);
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
