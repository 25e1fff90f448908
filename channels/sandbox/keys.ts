import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { randomAlphanumeric, randomDigits } from "../random.js";
import { createSelfSignedCertificate } from "./x509.js";

/** Everything both sides of a sandbox WeChat Pay merchant need. Sandbox only: never real keys. */
export interface WechatPaySandboxKeys {
  mchid: string;
  appid: string;
  /** 32 ASCII characters. */
  apiV3Key: string;
  merchantPrivateKeyPem: string;
  merchantCertificatePem: string;
  merchantSerial: string;
  platformPrivateKeyPem: string;
  platformCertificatePem: string;
  platformSerial: string;
}

export interface AlipaySandboxKeys {
  appId: string;
  /** The merchant's Alipay user id (`2088…`, 16 digits), `seller_id` in notifies. */
  sellerId: string;
  appPrivateKeyPem: string;
  appPublicKeyPem: string;
  alipayPrivateKeyPem: string;
  alipayPublicKeyPem: string;
}

const certificateValidityMs = 5 * 365 * 24 * 3600_000;

/** PKCS#8 like WeChat's apiclient_key.pem; PKCS#1 like Alipay's key tool for non-Java (alipay-sdk's default). */
function rsaPair(privateFormat: "pkcs8" | "pkcs1" = "pkcs8"): {
  privateKeyPem: string;
  publicKeyPem: string;
  keys: { privateKey: KeyObject; publicKey: KeyObject };
} {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    keys,
    privateKeyPem: keys.privateKey.export({ type: privateFormat, format: "pem" }).toString(),
    publicKeyPem: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

export function generateWechatPayCertificate(
  commonName: string,
  organization: string,
  nowMs: number = Date.now(),
): { privateKeyPem: string; certificatePem: string; serial: string } {
  const pair = rsaPair();
  const { pem, serial } = createSelfSignedCertificate({
    privateKey: pair.keys.privateKey,
    publicKey: pair.keys.publicKey,
    subject: { commonName, organization, organizationalUnit: "BuffMoney sandbox", country: "CN" },
    notBeforeMs: nowMs - 24 * 3600_000,
    notAfterMs: nowMs + certificateValidityMs,
  });
  return { privateKeyPem: pair.privateKeyPem, certificatePem: pem, serial };
}

export function generateWechatPaySandboxKeys(
  ids: { mchid?: string; appid?: string } = {},
): WechatPaySandboxKeys {
  const mchid = ids.mchid ?? `19${randomDigits(8)}`;
  const merchant = generateWechatPayCertificate(mchid, "BuffMoney sandbox merchant");
  const platform = generateWechatPayCertificate("Tenpay.com sandbox platform", "Tenpay.com sandbox");
  return {
    mchid,
    appid: ids.appid ?? `wx${randomAlphanumeric(16).toLowerCase()}`,
    apiV3Key: randomAlphanumeric(32),
    merchantPrivateKeyPem: merchant.privateKeyPem,
    merchantCertificatePem: merchant.certificatePem,
    merchantSerial: merchant.serial,
    platformPrivateKeyPem: platform.privateKeyPem,
    platformCertificatePem: platform.certificatePem,
    platformSerial: platform.serial,
  };
}

export function generateAlipaySandboxKeys(
  ids: { appId?: string; sellerId?: string } = {},
): AlipaySandboxKeys {
  const app = rsaPair("pkcs1");
  const alipay = rsaPair("pkcs1");
  return {
    appId: ids.appId ?? `2021${randomDigits(12)}`,
    sellerId: ids.sellerId ?? `2088${randomDigits(12)}`,
    appPrivateKeyPem: app.privateKeyPem,
    appPublicKeyPem: app.publicKeyPem,
    alipayPrivateKeyPem: alipay.privateKeyPem,
    alipayPublicKeyPem: alipay.publicKeyPem,
  };
}

/** Key-set files: ids in `<channel>.json`, every PEM beside it under a self-describing name. */
const wechatPayFiles = {
  merchantPrivateKeyPem: "wechatpay_sandbox_merchant_private_key.pem",
  merchantCertificatePem: "wechatpay_sandbox_merchant_cert.pem",
  platformPrivateKeyPem: "wechatpay_sandbox_platform_private_key.pem",
  platformCertificatePem: "wechatpay_sandbox_platform_cert.pem",
} as const;

const alipayFiles = {
  appPrivateKeyPem: "alipay_sandbox_app_private_key.pem",
  appPublicKeyPem: "alipay_sandbox_app_public_key.pem",
  alipayPrivateKeyPem: "alipay_sandbox_alipay_private_key.pem",
  alipayPublicKeyPem: "alipay_sandbox_alipay_public_key.pem",
} as const;

const wechatPayIds = z.object({
  mchid: z.string().min(1),
  appid: z.string().min(1),
  apiV3Key: z.string().length(32),
  merchantSerial: z.string().min(1),
  platformSerial: z.string().min(1),
});

const alipayIds = z.object({ appId: z.string().min(1), sellerId: z.string().min(1) });

async function writePems(dir: string, files: Record<string, string>, values: Record<string, string>) {
  for (const [field, file] of Object.entries(files)) {
    await writeFile(join(dir, file), values[field] ?? "", { mode: 0o600 });
  }
}

export async function writeWechatPaySandboxKeys(dir: string, keys: WechatPaySandboxKeys): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { mchid, appid, apiV3Key, merchantSerial, platformSerial } = keys;
  const ids = { mchid, appid, apiV3Key, merchantSerial, platformSerial };
  await writeFile(join(dir, "wechatpay.json"), `${JSON.stringify(ids, null, 2)}\n`, { mode: 0o600 });
  await writePems(dir, wechatPayFiles, { ...keys });
}

export async function readWechatPaySandboxKeys(dir: string): Promise<WechatPaySandboxKeys> {
  const ids = wechatPayIds.parse(JSON.parse(await readFile(join(dir, "wechatpay.json"), "utf8")));
  const read = (file: string) => readFile(join(dir, file), "utf8");
  return {
    ...ids,
    merchantPrivateKeyPem: await read(wechatPayFiles.merchantPrivateKeyPem),
    merchantCertificatePem: await read(wechatPayFiles.merchantCertificatePem),
    platformPrivateKeyPem: await read(wechatPayFiles.platformPrivateKeyPem),
    platformCertificatePem: await read(wechatPayFiles.platformCertificatePem),
  };
}

export async function writeAlipaySandboxKeys(dir: string, keys: AlipaySandboxKeys): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ids = { appId: keys.appId, sellerId: keys.sellerId };
  await writeFile(join(dir, "alipay.json"), `${JSON.stringify(ids, null, 2)}\n`, { mode: 0o600 });
  await writePems(dir, alipayFiles, { ...keys });
}

export async function readAlipaySandboxKeys(dir: string): Promise<AlipaySandboxKeys> {
  const ids = alipayIds.parse(JSON.parse(await readFile(join(dir, "alipay.json"), "utf8")));
  const read = (file: string) => readFile(join(dir, file), "utf8");
  return {
    ...ids,
    appPrivateKeyPem: await read(alipayFiles.appPrivateKeyPem),
    appPublicKeyPem: await read(alipayFiles.appPublicKeyPem),
    alipayPrivateKeyPem: await read(alipayFiles.alipayPrivateKeyPem),
    alipayPublicKeyPem: await read(alipayFiles.alipayPublicKeyPem),
  };
}
