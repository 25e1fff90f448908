import { X509Certificate, type KeyObject } from "node:crypto";
import { toPublicKey, type KeyInput } from "../rsa.js";

/**
 * WeChat Pay's verification keys by `Wechatpay-Serial`: platform certificate serials (hex) and,
 * in public-key mode, ids like `PUB_KEY_ID_0114…`.
 */
export class PlatformKeyRing {
  readonly #keys = new Map<string, KeyObject>();

  static normalize(serial: string): string {
    return serial.trim().toUpperCase();
  }

  get(serial: string): KeyObject | undefined {
    return this.#keys.get(PlatformKeyRing.normalize(serial));
  }

  /** Adds a platform certificate (PEM); answers its serial. */
  addCertificate(pem: string): string {
    const certificate = new X509Certificate(pem);
    const serial = PlatformKeyRing.normalize(certificate.serialNumber);
    this.#keys.set(serial, certificate.publicKey);
    return serial;
  }

  addPublicKey(keyId: string, key: KeyInput): void {
    this.#keys.set(PlatformKeyRing.normalize(keyId), toPublicKey(key));
  }

  serials(): string[] {
    return [...this.#keys.keys()];
  }
}
