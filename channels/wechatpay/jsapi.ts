import { randomAlphanumeric } from "../random.js";
import type { JsapiPayParams } from "../types.js";
import { jsapiSignMessage } from "./signing.js";

/** The signed parameters for `wx.requestPayment` / `WeixinJSBridge.invoke('getBrandWCPayRequest')`. */
export function buildJsapiPayParams(
  appId: string,
  prepayId: string,
  nowMs: number,
  sign: (message: string) => string,
): JsapiPayParams {
  const timeStamp = String(Math.floor(nowMs / 1000));
  const nonceStr = randomAlphanumeric(32);
  const pkg = `prepay_id=${prepayId}`;
  return {
    appId,
    timeStamp,
    nonceStr,
    package: pkg,
    signType: "RSA",
    paySign: sign(jsapiSignMessage(appId, timeStamp, nonceStr, pkg)),
  };
}
