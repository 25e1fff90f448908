import type { KeyObject } from "node:crypto";
import { signSha256WithRsa, verifySha256WithRsa } from "../rsa.js";

/**
 * Alipay's sign content: drop the excluded keys and empty values, sort keys (ASCII), join `k=v` with `&`,
 * raw values. Requests exclude `sign`; async notifies exclude `sign` and `sign_type`.
 */
export function alipaySignContent(
  params: Readonly<Record<string, string>>,
  exclude: readonly string[],
): string {
  return Object.keys(params)
    .filter((key) => !exclude.includes(key) && params[key] !== undefined && params[key] !== "")
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join("&");
}

export const requestSignExclusions = ["sign"] as const;
export const notifySignExclusions = ["sign", "sign_type"] as const;

/** RSA2: base64 SHA256withRSA over the sign content. */
export function signAlipayParams(params: Readonly<Record<string, string>>, privateKey: KeyObject): string {
  return signSha256WithRsa(privateKey, alipaySignContent(params, requestSignExclusions));
}

export function verifyAlipayParams(
  params: Readonly<Record<string, string>>,
  publicKey: KeyObject,
  exclude: readonly string[],
): boolean {
  const signature = params.sign;
  if (!signature) return false;
  return verifySha256WithRsa(publicKey, alipaySignContent(params, exclude), signature);
}
