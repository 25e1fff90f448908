const retryDelayMsMax = 5_000;
const retryAfterMsMax = 30_000;

/** Safe to repeat: the request either never ran or ran under the same idempotency key. */
export function isRetryable(status: number, code: string): boolean {
  return status === 429 || status >= 500 || (status === 409 && code === "idempotency_key_in_use");
}

/** Exponential backoff with full jitter, so clients that failed together do not retry together. */
export function retryDelayMs(attempt: number, retryDelayMsBase: number): number {
  const ceilingMs = Math.min(retryDelayMsMax, retryDelayMsBase * 2 ** attempt);
  return Math.random() * ceilingMs;
}

/** `Retry-After` in seconds, capped; undefined when absent or not a number of seconds. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\s*\d+(\.\d+)?\s*$/.test(header)) return undefined;
  return Math.min(retryAfterMsMax, Number(header) * 1000);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
