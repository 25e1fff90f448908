import type { Context, Next } from "koa";
import { DomainError } from "../domain/errors.js";

export interface FixedWindowOptions {
  windowMs: number;
  /** Requests a key may make per window. */
  requestsMax: number;
  /** Keys counted at once; past it the oldest is forgotten (memory stays bounded under a flood). */
  keysMax: number;
}

/**
 * Counts requests per key in fixed windows, in memory (one process). Enough for a public page's
 * endpoint: it keeps one buyer, or one invoice, from calling the channels in a loop.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(private readonly options: FixedWindowOptions) {}

  /** Takes one request for `key`: undefined when allowed, else the ms until its window ends. */
  take(key: string, now: number): number | undefined {
    const current = this.windows.get(key);
    if (!current || now - current.startedAt >= this.options.windowMs) {
      this.windows.delete(key);
      this.windows.set(key, { startedAt: now, count: 1 });
      this.forgetOldest();
      return undefined;
    }
    if (current.count >= this.options.requestsMax) return current.startedAt + this.options.windowMs - now;
    current.count += 1;
    return undefined;
  }

  private forgetOldest(): void {
    if (this.windows.size <= this.options.keysMax) return;
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }
}

/** Middleware: 429 `rate_limited` with Retry-After once the request's key is over its limit. */
export function rateLimited(limiter: FixedWindowLimiter, keyOf: (ctx: Context) => string) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const waitMs = limiter.take(keyOf(ctx), Date.now());
    if (waitMs !== undefined) {
      ctx.set("Retry-After", String(Math.max(1, Math.ceil(waitMs / 1000))));
      throw new DomainError("rate_limited", "too many requests; try again shortly");
    }
    await next();
  };
}
