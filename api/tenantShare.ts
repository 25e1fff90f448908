import type { Context, Next } from "koa";
import { DomainError } from "../domain/errors.js";
import type { MerchantAuth } from "./auth.js";

/**
 * Bounds the requests one merchant has in flight in one environment. Every tenant shares the commit
 * queue and the event loop; without a bound, one integration's burst (a retry storm, a backfill with
 * no concurrency limit) queues ahead of everyone else's requests until the server answers 503 to all.
 * Past the bound that merchant alone gets 429 `rate_limited` with Retry-After, which the SDK honours.
 * Counted in memory, after authentication; admin and public routes are not counted.
 */
export function tenantShare(inFlightMax: number) {
  const inFlight = new Map<string, number>();
  return async (ctx: Context, next: Next): Promise<void> => {
    const auth = ctx.state.auth as MerchantAuth | undefined;
    if (!auth) return next();
    const tenant = `${auth.env}:${auth.merchantId}`;
    const count = inFlight.get(tenant) ?? 0;
    if (count >= inFlightMax) {
      ctx.set("Retry-After", "1");
      throw new DomainError(
        "rate_limited",
        `${count} requests of this merchant are already in flight in ${auth.env}: wait for their answers before sending more`,
      );
    }
    inFlight.set(tenant, count + 1);
    try {
      await next();
    } finally {
      const left = (inFlight.get(tenant) ?? 1) - 1;
      if (left === 0) inFlight.delete(tenant);
      else inFlight.set(tenant, left);
    }
  };
}
