import { createCipheriv, createDecipheriv } from "node:crypto";

/** AEAD_AES_256_GCM as WeChat uses it: key = APIv3 key bytes, iv = nonce bytes, base64(ciphertext ‖ 16-byte tag). */

export interface EncryptedResource {
  ciphertext: string;
  nonce: string;
  associatedData: string;
}

const tagBytes = 16;

function algorithmFor(key: Buffer): "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm" {
  if (key.length === 16) return "aes-128-gcm";
  if (key.length === 24) return "aes-192-gcm";
  if (key.length === 32) return "aes-256-gcm";
  throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
}

/** Throws when the tag does not verify (wrong key, tampered data). */
export function decryptAesGcm(resource: EncryptedResource, apiV3Key: string): string {
  const key = Buffer.from(apiV3Key, "utf8");
  const data = Buffer.from(resource.ciphertext, "base64");
  if (data.length < tagBytes) throw new Error("ciphertext shorter than the GCM tag");
  const decipher = createDecipheriv(algorithmFor(key), key, Buffer.from(resource.nonce, "utf8"));
  decipher.setAuthTag(data.subarray(data.length - tagBytes));
  decipher.setAAD(Buffer.from(resource.associatedData, "utf8"));
  return Buffer.concat([
    decipher.update(data.subarray(0, data.length - tagBytes)),
    decipher.final(),
  ]).toString("utf8");
}

export function encryptAesGcm(
  plaintext: string,
  apiV3Key: string,
  nonce: string,
  associatedData: string,
): string {
  const key = Buffer.from(apiV3Key, "utf8");
  const cipher = createCipheriv(algorithmFor(key), key, Buffer.from(nonce, "utf8"));
  cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([data, cipher.getAuthTag()]).toString("base64");
}
