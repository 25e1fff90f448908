/** WeChat Pay APIv3 signature messages and the Authorization header (WECHATPAY2-SHA256-RSA2048). */

export const wechatAuthScheme = "WECHATPAY2-SHA256-RSA2048";

/** WeChat's probes carry a signature starting with this; a merchant must refuse them. */
export const signatureProbePrefix = "WECHATPAY/SIGNTEST/";

/** `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`; URL is path and query exactly as sent, GET bodies are empty. */
export function requestSignMessage(
  method: string,
  url: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return `${method}\n${url}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** `TIMESTAMP\nNONCE\nBODY\n`, for responses and callbacks. */
export function responseSignMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** `appId\ntimeStamp\nnonceStr\npackage\n`, the JSAPI `paySign` message. */
export function jsapiSignMessage(appId: string, timeStamp: string, nonceStr: string, pkg: string): string {
  return `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`;
}

export interface AuthorizationFields {
  mchid: string;
  nonce_str: string;
  timestamp: string;
  serial_no: string;
  signature: string;
}

export function buildAuthorization(fields: AuthorizationFields): string {
  const { mchid, nonce_str, timestamp, serial_no, signature } = fields;
  return (
    `${wechatAuthScheme} mchid="${mchid}",nonce_str="${nonce_str}",timestamp="${timestamp}",` +
    `serial_no="${serial_no}",signature="${signature}"`
  );
}

export function parseAuthorization(header: string | undefined): AuthorizationFields | null {
  if (!header?.startsWith(`${wechatAuthScheme} `)) return null;
  const fields = new Map<string, string>();
  for (const match of header.slice(wechatAuthScheme.length + 1).matchAll(/(\w+)="([^"]*)"/g)) {
    fields.set(match[1] ?? "", match[2] ?? "");
  }
  const get = (key: string) => fields.get(key);
  const mchid = get("mchid");
  const nonce_str = get("nonce_str");
  const timestamp = get("timestamp");
  const serial_no = get("serial_no");
  const signature = get("signature");
  if (!mchid || !nonce_str || !timestamp || !serial_no || !signature) return null;
  return { mchid, nonce_str, timestamp, serial_no, signature };
}
