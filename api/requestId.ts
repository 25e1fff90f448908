import type { Context, Next } from "koa";
import { newId } from "../domain/ids.js";

/** Every response names its request, so support and logs can find it. */
export async function requestId(ctx: Context, next: Next): Promise<void> {
  ctx.state.requestId = newId("req");
  ctx.set("Request-Id", ctx.state.requestId as string);
  await next();
}
