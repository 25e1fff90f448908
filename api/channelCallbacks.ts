import type { Context, Next } from "koa";
import type { Runtime } from "../actors/index.js";
import { limits } from "../domain/limits.js";

const callbackPath = /^\/v1\/channels\/(wechatpay|alipay)\/notify$/;

/**
 * WeChat Pay and Alipay callbacks. Mounted before the body parser and before authentication: the
 * signature covers the exact bytes, and the channel's own signature is the credential. The answer is
 * exactly what the channel expects, sent only after the notification is durably recorded.
 */
export function channelCallbacks(runtime: Runtime) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const match = callbackPath.exec(ctx.path);
    if (!match) return next();
    if (ctx.method !== "POST") {
      ctx.status = 405;
      ctx.set("Allow", "POST");
      return;
    }
    const provider = match[1] === "wechatpay" ? "wechatpay" : "alipay";
    const raw = await readBody(ctx);
    if (!raw) return;
    const ack = await runtime.payments.handleCallback(provider, ctx.headers, raw);
    ctx.status = ack.status;
    ctx.type = ack.contentType;
    ctx.body = ack.body;
  };
}

async function readBody(ctx: Context): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.channelCallbackBytesMax) {
      // The rest of the body is not read: the connection cannot carry another request after it.
      ctx.set("Connection", "close");
      ctx.status = 413;
      ctx.type = "text/plain";
      ctx.body = "callback body too large";
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
