import type { Context, Next } from "koa";
import type { Logger } from "pino";
import type { MerchantAuth } from "./auth.js";
import type { RequestObservation } from "./metrics.js";

export interface AccessLogOptions {
  logger?: Logger | undefined;
  observe?: ((request: RequestObservation) => void) | undefined;
}

/** The route pattern, never the raw path: IDs would flood logs' and metrics' label sets. */
function routeOf(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  if (typeof matched === "string") return matched;
  // A raw handler mounted before the router (the sandbox simulators) names its own prefix.
  if (typeof ctx.state.rawRoute === "string") return ctx.state.rawRoute;
  return ctx.status === 404 ? "(unmatched)" : "(other)";
}

/** A raw handler writes its response itself, perhaps after the middleware returned: wait for it. */
async function rawStatus(ctx: Context): Promise<number> {
  const res = ctx.res;
  if (!res.writableFinished && !res.destroyed) {
    await new Promise<void>((resolve) => {
      res.once("finish", resolve);
      res.once("close", resolve);
    });
  }
  return res.statusCode;
}

/** One line and one observation per request, after every other middleware has answered. */
export function accessLog(options: AccessLogOptions) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const status = ctx.respond === false ? await rawStatus(ctx) : ctx.status;
      const ms = performance.now() - started;
      const route = routeOf(ctx);
      options.observe?.({ method: ctx.method, route, status, ms });
      const logger = options.logger;
      // The line is built only when it will be written (busy servers log at warn).
      if (logger?.isLevelEnabled(status >= 500 ? "error" : "info")) {
        const auth = ctx.state.auth as MerchantAuth | undefined;
        const line = {
          method: ctx.method,
          path: route,
          status,
          ms: Math.round(ms * 100) / 100,
          requestId: ctx.state.requestId as string | undefined,
          ...(auth ? { merchantId: auth.merchantId, env: auth.env } : {}),
        };
        if (status >= 500) logger.error(line, "request");
        else logger.info(line, "request");
      }
    }
  };
}
