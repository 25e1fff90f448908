import { createPrivateKey, createPublicKey, createSign, createVerify, type KeyObject } from "node:crypto";

/** A PEM string or a KeyObject. */
export type KeyInput = string | KeyObject;

export function toPrivateKey(key: KeyInput): KeyObject {
  return typeof key === "string" ? createPrivateKey(key) : key;
}

/** Accepts a public key, a certificate or a private key (its public half) in PEM, or a KeyObject. */
export function toPublicKey(key: KeyInput): KeyObject {
  if (typeof key !== "string") return key.type === "private" ? createPublicKey(key) : key;
  return createPublicKey(key);
}

/** base64 SHA256withRSA (PKCS#1 v1.5), the signature of both channels. */
export function signSha256WithRsa(privateKey: KeyObject, message: string): string {
  return createSign("RSA-SHA256").update(message, "utf8").sign(privateKey, "base64");
}

export function verifySha256WithRsa(publicKey: KeyObject, message: string, signatureBase64: string): boolean {
  try {
    return createVerify("RSA-SHA256").update(message, "utf8").verify(publicKey, signatureBase64, "base64");
  } catch {
    return false;
  }
}
