import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Middleware, ParameterizedContext } from "koa";
import { z } from "zod";
import { channelLimits } from "../limits.js";
import { callbackTampers, type CallbackFaults } from "./callbackDelivery.js";

export interface SimulatorState {
  rawBody: Buffer;
  /** The request path and query as the client sent and signed it, below the mount path. */
  requestUrl: string;
  baseUrl: string;
}

export type SimulatorContext = ParameterizedContext<SimulatorState>;

/**
 * Strips `mountPath` (so a host server can mount the simulator under a prefix), reads the raw body
 * (signatures cover exact bytes) and works out the simulator's own public base URL.
 */
export function simulatorFrame(
  mountPath: string,
  publicBaseUrl: string | undefined,
): Middleware<SimulatorState> {
  const prefix = mountPath.replace(/\/+$/, "");
  return async (ctx, next) => {
    const original = ctx.req.url ?? "/";
    if (
      prefix &&
      !(original === prefix || original.startsWith(`${prefix}/`) || original.startsWith(`${prefix}?`))
    ) {
      ctx.status = 404;
      return;
    }
    ctx.state.requestUrl = original.slice(prefix.length) || "/";
    if (prefix) ctx.path = ctx.path.slice(prefix.length) || "/";
    ctx.state.baseUrl = publicBaseUrl?.replace(/\/+$/, "") ?? `${ctx.protocol}://${ctx.host}${prefix}`;
    ctx.state.rawBody = await readBody(ctx);
    await next();
  };
}

async function readBody(ctx: SimulatorContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > channelLimits.simulatorRequestBodyBytesMax) ctx.throw(413, "request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export const callbackFaultsSchema: z.ZodType<CallbackFaults> = z
  .object({
    delayMs: z.number().int().min(0).max(600_000).optional(),
    dropAttempts: z.number().int().min(0).max(20).optional(),
    duplicates: z.number().int().min(0).max(20).optional(),
    replay: z.boolean().optional(),
    hold: z.boolean().optional(),
    probe: z.boolean().optional(),
    tamper: z.enum(callbackTampers).optional(),
  })
  .strict();

export const apiFaultSchema = z
  .object({
    operation: z.string().min(1),
    code: z.string().min(1),
    status: z.number().int().optional(),
    message: z.string().optional(),
    times: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

export const faultsBodySchema = z
  .object({
    /** Applied to every callback from now on, until reset. */
    callbacks: callbackFaultsSchema.optional(),
    api: z.array(apiFaultSchema).optional(),
  })
  .strict();

export const releaseBodySchema = z.object({ order: z.enum(["fifo", "reverse"]).default("fifo") }).strict();

/** Parses a JSON control-API body; answers 400 with zod's issues when it does not fit. */
export function parseControlBody<T>(ctx: SimulatorContext, schema: z.ZodType<T>): T {
  const text = ctx.state.rawBody.toString("utf8").trim();
  let json: unknown = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    ctx.throw(400, "body is not JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) ctx.throw(400, `invalid control body: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Whether a path under the simulator's base is open to anyone holding it: its health, its public
 * keys, and one order's own routes (read it, or act as its buyer), which name an order id only its
 * checkout knows, like a QR code. Everything else under `/__sim` (listing orders, faults, held
 * callbacks, refund outcomes, certificate rotation) is the channel operator's.
 */
export function isOpenSimulatorPath(path: string): boolean {
  if (!path.startsWith("/__sim/")) return true;
  return /^\/__sim\/(?:health|keys|orders\/[^/]+(?:\/[a-z]+)?)$/.test(path);
}

/**
 * Mounts a simulator's `(req, res)` listener inside a host Koa app under `prefix` (create the simulator
 * with the same `mountPath`). Use it before any body parser: signatures cover the raw bytes. With
 * `authorizeOperator`, the operator's control routes answer 401 to a request it refuses: on a shared
 * server they act for every merchant at once.
 */
export function mountSimulator(
  prefix: string,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  options: { authorizeOperator?: (ctx: Context) => boolean } = {},
): Middleware {
  const base = prefix.replace(/\/+$/, "");
  return async (ctx, next) => {
    if (ctx.path !== base && !ctx.path.startsWith(`${base}/`)) return next();
    const rest = ctx.path.slice(base.length);
    // Logs and metrics name the prefix, never the raw path (ids).
    ctx.state.rawRoute = `${base}/*`;
    if (options.authorizeOperator && !isOpenSimulatorPath(rest) && !options.authorizeOperator(ctx)) {
      ctx.status = 401;
      ctx.body = {
        code: "unauthorized",
        message: "the simulator's operator routes take the admin token: Authorization: Bearer <admin token>",
      };
      return;
    }
    ctx.respond = false;
    listener(ctx.req, ctx.res);
  };
}
