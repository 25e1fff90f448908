import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { chmod, open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { keys } from "../wal/keys.js";
import type { Log } from "../wal/log.js";

const keyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;
const version = "v1";
/** In the data directory beside the LevelDB files, never inside the ledger. */
export const secretKeyFileName = "secret.key";
const keyIdMeta = keys.meta("secret_key_id");

/**
 * Seals secrets kept at rest (webhook signing secrets) with AES-256-GCM under the server key.
 * A sealed secret is `v1.<key id>.<base64url of iv, ciphertext, tag>`; the context (what the secret
 * belongs to) is authenticated too, so a sealed secret opens only where it was sealed.
 */
export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.byteLength !== keyBytes) throw new Error(`the secret key must be ${keyBytes} bytes`);
    this.keyId = keyIdOf(key);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv).setAAD(Buffer.from(context, "utf8"));
    const sealed = Buffer.concat([iv, cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${version}.${this.keyId}.${sealed.toString("base64url")}`;
  }

  /** Throws when the secret was sealed under another key or for another context, or was altered. */
  open(sealed: string, context: string): string {
    const [v, keyId, data] = sealed.split(".");
    if (v !== version || keyId === undefined || data === undefined) {
      throw new Error(`a sealed secret of ${context} is malformed`);
    }
    if (keyId !== this.keyId) {
      throw new Error(
        `a secret of ${context} is sealed under key ${keyId}, not the configured ${this.keyId}`,
      );
    }
    const bytes = Buffer.from(data, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", this.key, bytes.subarray(0, ivBytes))
      .setAAD(Buffer.from(context, "utf8"))
      .setAuthTag(bytes.subarray(bytes.byteLength - tagBytes));
    try {
      const text = decipher.update(bytes.subarray(ivBytes, bytes.byteLength - tagBytes));
      return Buffer.concat([text, decipher.final()]).toString("utf8");
    } catch {
      throw new Error(`a sealed secret of ${context} does not open under key ${this.keyId}`);
    }
  }
}

/** A public handle of a key (it reveals nothing of it): which key sealed what. */
function keyIdOf(key: Buffer): string {
  return createHmac("sha256", key).update("buffmoney secret key id").digest("hex").slice(0, 16);
}

function decodeConfiguredKey(configured: string): Buffer {
  const key = Buffer.from(configured, "base64");
  if (key.byteLength !== keyBytes || key.toString("base64") !== configured.replace(/\s/g, "")) {
    throw new Error(`BUFFMONEY_SECRET_KEY must be ${keyBytes} bytes in base64 (openssl rand -base64 32)`);
  }
  return key;
}

async function readKeyFile(path: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  const key = Buffer.from(text.trim(), "base64");
  if (key.byteLength !== keyBytes) throw new Error(`${path} does not hold a ${keyBytes}-byte base64 key`);
  return key;
}

/** Creates the key file (mode 0600, synced); when another process just did, reads theirs. */
async function createKeyFile(path: string): Promise<Buffer> {
  const key = randomBytes(keyBytes);
  let file;
  try {
    file = await open(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const existing = await readKeyFile(path);
    if (existing) return existing;
    throw error;
  }
  try {
    await file.writeFile(`${key.toString("base64")}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  return key;
}

/**
 * The server key: `configured` (BUFFMONEY_SECRET_KEY) when set, else the data directory's key file,
 * created on first start. The ledger remembers which key sealed its secrets, so starting with
 * another key, or without the key file once secrets exist, stops here rather than later.
 */
export async function openSecretBox(log: Log, dataDir: string, configured?: string): Promise<SecretBox> {
  const path = join(dataDir, secretKeyFileName);
  const expectedKeyId = await log.get(keyIdMeta);
  let key = configured ? decodeConfiguredKey(configured) : await readKeyFile(path);
  if (!key) {
    if (expectedKeyId !== undefined) {
      throw new Error(
        `the secret key ${expectedKeyId} that sealed this ledger's webhook secrets is missing: restore ${path} or set BUFFMONEY_SECRET_KEY`,
      );
    }
    key = await createKeyFile(path);
  }
  const box = new SecretBox(key);
  if (expectedKeyId === undefined) {
    await log.db.put(keyIdMeta, box.keyId, { sync: true });
  } else if (expectedKeyId !== box.keyId) {
    const source = configured ? "BUFFMONEY_SECRET_KEY" : path;
    throw new Error(
      `${source} holds key ${box.keyId}, but this ledger's webhook secrets are sealed under key ${expectedKeyId}: start with that key`,
    );
  }
  return box;
}
