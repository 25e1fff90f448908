import type { FetchLike, TransportConfig } from "./http.js";

/** How a client reaches the server; shared by BuffMoneyClient and BuffMoneyAdminClient. */
export interface ConnectionOptions {
  /** Default "http://localhost:4000". */
  baseUrl?: string | undefined;
  /** Retries after the first attempt. Default 2, at most 10. */
  maxRetries?: number | undefined;
  /** Per attempt, including reading the body. Default 30000. */
  timeoutMs?: number | undefined;
  /** A fetch to use instead of the global one (tests, Workers service bindings). */
  fetch?: FetchLike | undefined;
  /** @internal First backoff step in ms (default 250); tests shorten it. */
  retryDelayMsBase?: number | undefined;
}

const maxRetriesMax = 10;

export function transportConfig(token: string, options: ConnectionOptions): TransportConfig {
  const baseUrl = options.baseUrl ?? "http://localhost:4000";
  const maxRetries = options.maxRetries ?? 2;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retryDelayMsBase = options.retryDelayMsBase ?? 250;
  const customFetch = options.fetch;
  if (!URL.canParse(baseUrl)) throw new TypeError(`baseUrl is not an absolute URL: ${baseUrl}`);
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > maxRetriesMax) {
    throw new RangeError(`maxRetries must be an integer from 0 to ${maxRetriesMax}`);
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError("timeoutMs must be positive");
  if (!Number.isFinite(retryDelayMsBase) || retryDelayMsBase < 0) {
    throw new RangeError("retryDelayMsBase must not be negative");
  }
  return {
    token,
    // Joined by concatenation, so a base with a path prefix ("https://host/billing") keeps it.
    baseUrl: baseUrl.replace(/\/+$/, ""),
    maxRetries,
    timeoutMs,
    retryDelayMsBase,
    // Never called as a method of the config: Workers reject fetch with a foreign `this`.
    fetch: (input, init) => (customFetch ?? globalThis.fetch)(input, init),
  };
}
