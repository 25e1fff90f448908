import { bodyParser } from "@koa/bodyparser";
import Router from "@koa/router";
import Koa from "koa";
import type { Logger } from "pino";
import type { Runtime } from "../actors/index.js";
import { DomainError } from "../domain/errors.js";
import { limits } from "../domain/limits.js";
import { authenticate, isAdminRequest, requireAuth } from "./auth.js";
import { tenantShare } from "./tenantShare.js";
import { idempotency } from "./idempotency.js";
import { openApiDocument } from "./openapi.js";
import { koaPath, type Operation } from "./operation.js";
import { renderProblems } from "./problem.js";
import { accessLog } from "./accessLog.js";
import { createMetrics, serveMetrics } from "./metrics.js";
import { requestId } from "./requestId.js";
import { adminOperations } from "./routes/admin.js";
import { customerOperations } from "./routes/customers.js";
import { walletOperations } from "./routes/wallets.js";
import { usageOperations } from "./routes/usage.js";
import { rateCardOperations } from "./routes/rateCards.js";
import { metricOperations } from "./routes/metrics.js";
import { auditOperations } from "./routes/audit.js";
import { paymentOperations } from "./routes/payments.js";
import { channelCallbacks } from "./channelCallbacks.js";
import { checkoutRoutes } from "./checkout.js";
import { webhookConsoleRoutes } from "./webhookConsole.js";
import { webhookOperations } from "./routes/webhooks.js";
import { feedOperations } from "./feed.js";
import { balanceOperations } from "./routes/balance.js";
import { catalogOperations } from "./routes/catalog.js";
import { testClockOperations } from "./routes/testClocks.js";
import { inspector } from "./inspector.js";
import { billingOperations } from "./routes/billing.js";
import { invoicePdfOperations } from "./routes/invoicePdf.js";

export function operationsOf(runtime: Runtime): Operation[] {
  return [
    ...adminOperations(runtime),
    ...customerOperations(runtime),
    ...walletOperations(runtime),
    ...usageOperations(runtime),
    ...rateCardOperations(runtime),
    ...metricOperations(runtime),
    ...auditOperations(runtime),
    ...paymentOperations(runtime),
    ...balanceOperations(runtime),
    ...invoicePdfOperations(runtime),
    ...catalogOperations(runtime),
    ...testClockOperations(runtime),
    ...billingOperations(runtime),
    ...webhookOperations(runtime),
    ...feedOperations(),
  ];
}

export interface AppOptions {
  /**
   * Mounts raw handlers before the body parser (bin/ mounts the sandbox channel simulators here);
   * `isAdmin` says whether a request carries the admin token.
   */
  mount?: (app: Koa, isAdmin: (ctx: Koa.Context) => boolean) => void;
  /** Structured logs: one line per request, and unhandled errors (bin/ passes pino; tests pass none). */
  logger?: Logger | undefined;
  /** When set, GET /metrics asks for `Authorization: Bearer <token>`; otherwise it is open. */
  metricsToken?: string | undefined;
  /**
   * True once the server is stopping: each response closes its connection, so clients reconnect
   * elsewhere instead of sending more on a kept-alive one, and /health answers 503.
   */
  draining?: () => boolean;
  /** One merchant's requests in flight per environment; past it 429 (default: limits). */
  requestsInFlightPerMerchantMax?: number;
}

/** The Koa application: small middleware, then one route per operation. */
export function createApp(runtime: Runtime, options: AppOptions = {}): Koa {
  const app = new Koa();
  const router = new Router({ sensitive: true });
  const operations = operationsOf(runtime);
  const document = openApiDocument(operations);
  const metrics = createMetrics(runtime);

  const draining = options.draining ?? (() => false);
  router.get("/health", (ctx) => {
    const stopping = draining();
    ctx.status = stopping ? 503 : 200;
    ctx.body = { status: stopping ? "stopping" : "ok", ledgerSeq: runtime.log.durableHead };
  });
  router.get("/metrics", serveMetrics(metrics, options.metricsToken));
  router.get("/api/openapi", (ctx) => {
    // The server as the client reached it, not a fixed port.
    ctx.body = { ...document, servers: [{ url: `${ctx.protocol}://${ctx.host}` }] };
  });
  for (const op of operations) {
    router[op.method](koaPath(op.path), async (ctx) => {
      // The operation's own word on who may call it, whatever the path looked like to authenticate.
      requireAuth(ctx, op.auth);
      // The parser reads JSON only: any other body would reach the schema as {} and be misreported.
      if (op.body && carriesBytes(ctx) && !ctx.request.is("json")) {
        throw new DomainError(
          "unsupported_media_type",
          `send the body as JSON with Content-Type: application/json (this one is ${ctx.request.type || "untyped"})`,
        );
      }
      const params = op.params ? op.params.parse(ctx.params) : {};
      const query = op.query ? op.query.parse(ctx.query) : {};
      const body = op.body ? (op.parseBody ?? op.body).parse(ctx.request.body ?? {}) : {};
      const result = await op.handle(ctx, { params, query, body });
      ctx.status = result.status;
      ctx.body = result.body;
      if (op.responseType) ctx.type = op.responseType;
    });
  }

  app.use(async (ctx, next) => {
    if (draining()) ctx.set("Connection", "close");
    await next();
    // A request already running when the server began stopping closes its connection too.
    if (draining() && !ctx.headerSent) ctx.set("Connection", "close");
  });
  app.use(accessLog({ logger: options.logger, observe: (request) => metrics.observeRequest(request) }));
  // Mounted handlers answer on their own (raw bytes, their own errors), ahead of everything else.
  options.mount?.(app, (ctx) => isAdminRequest(ctx, runtime));
  app.use(requestId);
  app.use(renderProblems(options.logger));
  app.use(channelCallbacks(runtime));
  // Before the body is read: a request without valid credentials costs no parsing, and a slow body
  // counts against its own merchant's share.
  app.use(authenticate(runtime));
  app.use(tenantShare(options.requestsInFlightPerMerchantMax ?? limits.requestsInFlightPerMerchantMax));
  app.use(
    bodyParser({
      enableTypes: ["json"],
      jsonLimit: limits.requestBodyBytesMax,
      encoding: "utf-8",
    }),
  );
  app.use(idempotency(runtime));
  app.use(router.routes());
  app.use(router.allowedMethods());
  const checkout = checkoutRoutes(runtime);
  app.use(checkout.routes());
  app.use(checkout.allowedMethods());
  app.use(inspector(runtime).routes());
  app.use(webhookConsoleRoutes().routes());
  return app;
}

/** A body with content: `Content-Length: 0` (fetch's body-less POST) carries none. */
function carriesBytes(ctx: Koa.Context): boolean {
  const length = ctx.request.length as number | undefined;
  return length === undefined ? ctx.get("Transfer-Encoding") !== "" : length > 0;
}
