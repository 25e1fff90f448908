import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { randomDigits } from "../../random.js";
import { generateWechatPayCertificate } from "../../sandbox/keys.js";

export interface PlatformKey {
  serial: string;
  privateKey: KeyObject;
  certificatePem: string;
  publicKeyPem: string;
  effectiveAtMs: number;
  expiresAtMs: number;
}

export type PlatformKeyMode = "certificate" | "public_key";

export function platformKeyOf(privateKeyPem: string, certificatePem: string): PlatformKey {
  const certificate = new X509Certificate(certificatePem);
  return {
    serial: certificate.serialNumber.toUpperCase(),
    privateKey: createPrivateKey(privateKeyPem),
    certificatePem,
    publicKeyPem: certificate.publicKey.export({ type: "spki", format: "pem" }).toString(),
    effectiveAtMs: Date.parse(certificate.validFrom),
    expiresAtMs: Date.parse(certificate.validTo),
  };
}

/**
 * The platform's signing keys: the newest signs, all are listed by `/v3/certificates`.
 * In public-key mode the `Wechatpay-Serial` is a key id instead of a certificate serial.
 */
export class PlatformKeys {
  readonly #keys: PlatformKey[];
  readonly publicKeyIds = new Map<string, string>();

  constructor(
    first: PlatformKey,
    readonly mode: PlatformKeyMode,
  ) {
    this.#keys = [first];
    this.publicKeyIds.set(first.serial, `PUB_KEY_ID_01${randomDigits(26)}`);
  }

  get current(): PlatformKey {
    const key = this.#keys[this.#keys.length - 1];
    if (!key) throw new Error("no platform key");
    return key;
  }

  all(): readonly PlatformKey[] {
    return this.#keys;
  }

  /** What `Wechatpay-Serial` says for the current key. */
  currentSerialHeader(): string {
    const key = this.current;
    return this.mode === "public_key" ? (this.publicKeyIds.get(key.serial) ?? key.serial) : key.serial;
  }

  rotate(nowMs: number): PlatformKey {
    const generated = generateWechatPayCertificate(
      "Tenpay.com sandbox platform",
      "Tenpay.com sandbox",
      nowMs,
    );
    const key = platformKeyOf(generated.privateKeyPem, generated.certificatePem);
    this.#keys.push(key);
    this.publicKeyIds.set(key.serial, `PUB_KEY_ID_01${randomDigits(26)}`);
    return key;
  }
}
