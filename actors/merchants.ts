import { hash as digest, randomBytes, timingSafeEqual } from "node:crypto";
import type { Environment } from "../domain/environment.js";
import { newId } from "../domain/ids.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";

export interface Merchant {
  id: string;
  name: string;
  createdAt: number;
}

export interface ApiKeyOwner {
  merchantId: string;
  env: Environment;
  /** A short, non-secret handle of the key (its hash's first 12 hex digits) for audit trails. */
  keyId: string;
}

// One-shot hashing: half the cost of a Hash object, and every API request hashes its key.
export const sha256Hex = (text: string): string => digest("sha256", text, "hex");

const keyIndex = (hash: string) => `x!k!${hash}`;
const merchantIndex = (id: string) => `x!m!${id}`;

function newApiKey(env: Environment): string {
  return `bm_${env}_${randomBytes(24).toString("base64url")}`;
}

/**
 * Merchants and their API keys. Keys are shown once and kept only as SHA-256 hashes; the
 * merchant's record in the log names the hashes, so an auditor can tie a key to its owner.
 */
export class MerchantDirectory {
  private readonly keyCache = new Map<string, ApiKeyOwner>();
  private static readonly keyCacheMax = 10_000;

  constructor(
    private readonly log: Log,
    private readonly onCommitted: (record: CommittedRecord) => void,
  ) {}

  async create(
    name: string,
    idempotency?: (result: { merchant: Merchant; apiKeys: Record<Environment, string> }) => {
      scope: string;
      op: IndexOp;
    },
  ): Promise<{ merchant: Merchant; apiKeys: Record<Environment, string> }> {
    const id = newId("mer");
    const apiKeys = { test: newApiKey("test"), live: newApiKey("live") };
    const at = this.log.now();
    const merchant: Merchant = { id, name, createdAt: at };
    const result = { merchant, apiKeys };
    const hashes = { test: sha256Hex(apiKeys.test), live: sha256Hex(apiKeys.live) };
    const ops: IndexOp[] = [
      { type: "put", key: merchantIndex(id), value: JSON.stringify(merchant) },
      { type: "put", key: keyIndex(hashes.test), value: JSON.stringify({ merchantId: id, env: "test" }) },
      { type: "put", key: keyIndex(hashes.live), value: JSON.stringify({ merchantId: id, env: "live" }) },
    ];
    const idem = idempotency?.(result);
    if (idem) ops.push(idem.op);
    const record = await this.log.append(
      {
        env: "platform",
        merchantId: id,
        entity: `merchant:${id}`,
        command: { type: "merchant.create", merchantId: id, name },
        facts: [{ type: "merchant.created", merchantId: id, name, apiKeySha256: hashes }],
        postings: [],
        keys: idem ? [idem.scope] : [],
      },
      at,
      ops,
    );
    this.onCommitted(record);
    return result;
  }

  async authenticate(apiKey: string): Promise<ApiKeyOwner | undefined> {
    if (!/^bm_(test|live)_[A-Za-z0-9_-]{16,64}$/.test(apiKey)) return undefined;
    const hash = sha256Hex(apiKey);
    const cached = this.keyCache.get(hash);
    if (cached) return cached;
    const stored = await this.log.get(keyIndex(hash));
    if (stored === undefined) return undefined;
    const owner = { ...(JSON.parse(stored) as Omit<ApiKeyOwner, "keyId">), keyId: hash.slice(0, 12) };
    if (this.keyCache.size >= MerchantDirectory.keyCacheMax) this.keyCache.clear();
    this.keyCache.set(hash, owner);
    return owner;
  }

  async find(id: string): Promise<Merchant | undefined> {
    const stored = await this.log.get(merchantIndex(id));
    return stored === undefined ? undefined : (JSON.parse(stored) as Merchant);
  }
}

/** Compares a presented admin token with the stored hash in constant time. */
export function adminTokenMatches(presented: string, storedSha256: string): boolean {
  const a = Buffer.from(sha256Hex(presented), "hex");
  const b = Buffer.from(storedSha256, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
