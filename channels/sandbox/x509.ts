import { createSign, randomBytes, X509Certificate, type KeyObject } from "node:crypto";

/**
 * A minimal X.509 v3 certificate builder (self-signed, RSA/SHA-256), so the sandbox can hand out
 * merchant and platform certificates like the real channel without OpenSSL. Not for production PKI.
 */

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const sequence = (...content: Buffer[]) => tlv(0x30, ...content);
const set = (...content: Buffer[]) => tlv(0x31, ...content);

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const first = parts[0] ?? 0;
  const second = parts[1] ?? 0;
  const bytes: number[] = [first * 40 + second];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) {
      chunk.unshift((rest & 0x7f) | 0x80);
    }
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // 2026-01-02T03:04:05.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  const year = new Date(ms).getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

export interface DistinguishedName {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
}

function name(dn: DistinguishedName): Buffer {
  const rdns: Buffer[] = [];
  const add = (attributeOid: string, tag: number, value: string | undefined) => {
    if (value !== undefined)
      rdns.push(set(sequence(oid(attributeOid), tlv(tag, Buffer.from(value, "utf8")))));
  };
  add("2.5.4.6", 0x13, dn.country);
  add("2.5.4.10", 0x0c, dn.organization);
  add("2.5.4.11", 0x0c, dn.organizationalUnit);
  add("2.5.4.3", 0x0c, dn.commonName);
  return sequence(...rdns);
}

/** 40 upper-case hex digits, like WeChat's certificate serials. */
export function randomCertificateSerial(): string {
  const bytes = randomBytes(20);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10; // positive, and no leading zero byte
  return bytes.toString("hex").toUpperCase();
}

export interface CertificateRequest {
  privateKey: KeyObject;
  publicKey: KeyObject;
  subject: DistinguishedName;
  serialHex?: string;
  notBeforeMs: number;
  notAfterMs: number;
}

export function createSelfSignedCertificate(request: CertificateRequest): { pem: string; serial: string } {
  const serial = request.serialHex ?? randomCertificateSerial();
  const algorithm = sequence(oid("1.2.840.113549.1.1.11"), Buffer.from([0x05, 0x00]));
  const subject = name(request.subject);
  const spki = request.publicKey.export({ type: "spki", format: "der" });
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([0x02]))),
    tlv(0x02, Buffer.from(serial, "hex")),
    algorithm,
    subject,
    sequence(time(request.notBeforeMs), time(request.notAfterMs)),
    subject,
    spki,
  );
  const signature = createSign("RSA-SHA256").update(tbs).sign(request.privateKey);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.from([0x00]), signature));
  const base64 = der.toString("base64").replace(/.{64}/g, "$&\n");
  const pem = `-----BEGIN CERTIFICATE-----\n${base64.trimEnd()}\n-----END CERTIFICATE-----\n`;
  return { pem, serial: new X509Certificate(pem).serialNumber.toUpperCase() };
}
