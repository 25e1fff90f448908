import type { Middleware } from "koa";
import { channelLimits } from "../../limits.js";
import type { SimulatorState } from "../../sandbox/koa.js";
import { verifySha256WithRsa } from "../../rsa.js";
import { parseAuthorization, requestSignMessage } from "../signing.js";
import type { WechatSim } from "./context.js";

/**
 * Verifies the merchant's `Authorization` on every `/v3` call: known mchid and serial, fresh timestamp,
 * mchid agreeing with the body or query, and the signature over the exact URL and bytes received.
 */
export function merchantAuth(sim: WechatSim): Middleware<SimulatorState> {
  return async (ctx, next) => {
    const auth = parseAuthorization(ctx.get("Authorization") || undefined);
    const body = ctx.state.rawBody.toString("utf8");
    const message = requestSignMessage(
      ctx.method,
      ctx.state.requestUrl,
      auth?.timestamp ?? "",
      auth?.nonce_str ?? "",
      body,
    );
    const refuse = (issue: string) =>
      sim.fail(ctx, "SIGN_ERROR", undefined, {
        field: "signature",
        location: "authorization",
        issue,
        sign_information: {
          method: ctx.method,
          url: ctx.state.requestUrl,
          sign_message_length: Buffer.byteLength(message),
          truncated_sign_message: message.slice(0, 160),
        },
      });
    if (!auth) return refuse("missing or malformed Authorization header");
    if (auth.mchid !== sim.keys.mchid) return refuse(`unknown mchid ${auth.mchid}`);
    if (auth.serial_no.toUpperCase() !== sim.merchantSerial)
      return refuse(`unknown serial_no ${auth.serial_no}`);
    const skewMs = Math.abs(sim.now() - Number(auth.timestamp) * 1000);
    if (!/^\d+$/.test(auth.timestamp) || skewMs >= channelLimits.wechatCallbackSkewMsMax) {
      return refuse(`timestamp ${auth.timestamp} expired`);
    }
    if (auth.nonce_str.length > 32) return refuse("nonce_str longer than 32");
    if (!verifySha256WithRsa(sim.merchantPublicKey, message, auth.signature)) return refuse("sign not match");
    const claimed = claimedMchid(ctx.query.mchid, body);
    if (claimed !== undefined && claimed !== auth.mchid)
      return refuse("mchid in request does not match Authorization");
    await next();
  };
}

function claimedMchid(query: string | string[] | undefined, body: string): string | undefined {
  if (typeof query === "string") return query;
  if (!body) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object" && "mchid" in parsed && typeof parsed.mchid === "string") {
      return parsed.mchid;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
