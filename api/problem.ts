import type { Context, Next } from "koa";
import type { Logger } from "pino";
import { ZodError } from "zod";
import { OverloadedError, LogOverloadedError } from "../actors/index.js";
import { DomainError, statusOf, type ErrorCode } from "../domain/errors.js";

const titles: Partial<Record<ErrorCode, string>> = {
  invalid_request: "The request is not valid",
  unauthorized: "Authentication failed",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  payload_too_large: "The request body is too large",
  unsupported_media_type: "The request body must be JSON",
  overloaded: "The server is busy",
  internal_error: "Something went wrong on our side",
};

export function sendProblem(
  ctx: Context,
  code: ErrorCode,
  detail: string,
  extra: { errors?: Array<{ path: string; message: string }>; details?: Record<string, unknown> } = {},
): void {
  const status = statusOf(code);
  ctx.status = status;
  ctx.type = "application/problem+json";
  ctx.body = {
    type: `https://docs.buffmoney.dev/errors/${code}`,
    title: titles[code] ?? code.replaceAll("_", " "),
    status,
    code,
    detail,
    requestId: String(ctx.state.requestId ?? ""),
    ...(extra.errors ? { errors: extra.errors } : {}),
    ...(extra.details ?? {}),
  };
}

/**
 * Renders every error as application/problem+json with a stable code; unknown errors are 500s,
 * logged with their request ID (to the console when no logger is given).
 */
export function renderProblems(logger?: Logger) {
  return (ctx: Context, next: Next) => handleProblems(ctx, next, logger);
}

async function handleProblems(ctx: Context, next: Next, logger: Logger | undefined): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined)
      sendProblem(ctx, "not_found", `no route for ${ctx.method} ${ctx.path}`);
    // The router answered a known path's other method with only a status and its Allow header.
    if (ctx.status === 405 && ctx.body === undefined) {
      sendProblem(
        ctx,
        "method_not_allowed",
        `${ctx.path} takes ${ctx.response.get("Allow") || "no other method"}`,
      );
    }
  } catch (error) {
    if (error instanceof DomainError)
      return sendProblem(ctx, error.code, error.message, { details: error.details ?? {} });
    if (error instanceof ZodError) {
      const errors = error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
      return sendProblem(
        ctx,
        "invalid_request",
        errors.map((e) => `${e.path || "body"}: ${e.message}`).join("; "),
        {
          errors,
        },
      );
    }
    if (error instanceof OverloadedError || error instanceof LogOverloadedError) {
      ctx.set("Retry-After", "1");
      return sendProblem(ctx, "overloaded", "too many requests are waiting; retry shortly");
    }
    const status = (error as { status?: unknown }).status;
    // A body whose Content-Encoding does not match its bytes fails to inflate (zlib's Z_* codes).
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("Z_")) {
      return sendProblem(
        ctx,
        "invalid_request",
        `the body could not be decoded as its Content-Encoding says (${code})`,
      );
    }
    if (status === 413) return sendProblem(ctx, "payload_too_large", "the request body exceeds the limit");
    if (status === 400 || status === 415 || status === 422) {
      return sendProblem(ctx, "invalid_request", (error as Error).message || "the body must be JSON");
    }
    if (logger) logger.error({ err: error, requestId: ctx.state.requestId as string }, "unhandled error");
    else console.error("unhandled error", error);
    sendProblem(ctx, "internal_error", "an unexpected error occurred; it has been logged");
  }
}
