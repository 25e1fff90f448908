import type { SimulatorContext } from "../../sandbox/koa.js";
import { parseBeijingDateTime } from "../../time.js";
import { alipaySignContent, requestSignExclusions, verifyAlipayParams } from "../signing.js";
import { invalidArguments, type AlipayFailure, type AlipaySim } from "./context.js";
import type { Biz, Params } from "./trades.js";

export type GatewayHandler = (ctx: SimulatorContext, method: string, biz: Biz, params: Params) => void;

/** Common parameters may come in the query or the form body (the SDKs split them); first value wins. */
export function gatewayParams(ctx: SimulatorContext): Params {
  const params: Params = {};
  const form = ctx.is("application/x-www-form-urlencoded") ? ctx.state.rawBody.toString("utf8") : "";
  for (const source of [new URLSearchParams(ctx.querystring), new URLSearchParams(form)]) {
    for (const [key, value] of source) if (!(key in params)) params[key] = value;
  }
  return params;
}

const missing = (name: string): AlipayFailure => ({
  code: "40001",
  subCode: `isv.missing-${name}`,
  subMsg: `缺少${name}参数`,
});

/** The gateway's own checks, before any business rule: the merchant's RSA2 signature above all. */
export function checkGatewayRequest(sim: AlipaySim, params: Params): AlipayFailure | null {
  if (!params.app_id) return missing("app-id");
  if (params.app_id !== sim.keys.appId) return invalidArguments("isv.invalid-app-id", "无效的AppID参数");
  if (!params.sign) return missing("signature");
  if (!params.sign_type) return missing("signature-type");
  if (params.sign_type !== "RSA2") return invalidArguments("isv.invalid-signature-type", "无效的签名类型");
  if (!params.timestamp) return missing("timestamp");
  if (parseBeijingDateTime(params.timestamp) === null) {
    return invalidArguments("isv.invalid-timestamp", "非法的时间戳参数");
  }
  if (!params.version) return missing("version");
  if (params.charset && params.charset.toLowerCase() !== "utf-8") {
    return invalidArguments("isv.invalid-charset", "字符集不合法 (sandbox: utf-8 only)");
  }
  if (!verifyAlipayParams(params, sim.appPublicKey, requestSignExclusions)) {
    const content = alipaySignContent(params, requestSignExclusions);
    return invalidArguments(
      "isv.invalid-signature",
      `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content}`,
    );
  }
  return null;
}

export function parseBizContent(params: Params): Biz | null {
  try {
    const parsed: unknown = JSON.parse(params.biz_content ?? "");
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Biz) : null;
  } catch {
    return null;
  }
}

/** A queued control-API fault as Alipay would answer it: `isp.*` as 20000, others as 40004. */
export function injectedFailure(sim: AlipaySim, method: string): AlipayFailure | null {
  const fault = sim.apiFaults.take(method);
  if (!fault) return null;
  const status = fault.status ?? (fault.code.startsWith("isp.") ? 20000 : 40004);
  const code = String(status) as AlipayFailure["code"];
  return { code, subCode: fault.code, subMsg: fault.message ?? `injected ${fault.code}` };
}
