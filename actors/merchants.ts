import { hash as digest, randomBytes, timingSafeEqual } from "node:crypto";
import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { KeyedTurns } from "../domain/keyedTurns.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import { readEntityRecords } from "./entityRecords.js";

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

/** What the key index holds for a key hash; a rolled key keeps working until `expiresAt`. */
interface StoredKey {
  merchantId: string;
  env: Environment;
  expiresAt?: number;
}

export interface RolledKey {
  environment: Environment;
  /** Shown once. */
  apiKey: string;
  /** When the key it replaces stops working (now, unless an overlap was asked for). */
  previousKeyExpiresAt: number;
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
  private readonly keyCache = new Map<string, ApiKeyOwner & { expiresAt?: number }>();
  private readonly rollListeners = new Set<() => void>();
  /** Rolls of one merchant's keys, one at a time: each replaces the key the one before made. */
  private readonly rolling = new KeyedTurns();
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
    const checked = await this.check(apiKey);
    return checked === "expired" ? undefined : checked;
  }

  /** The key's owner; "expired" for a key that was rolled and has stopped; undefined for no key of ours. */
  async check(apiKey: string): Promise<ApiKeyOwner | "expired" | undefined> {
    const found = await this.lookUp(apiKey);
    if (!found) return undefined;
    if (found.expiresAt !== undefined && found.expiresAt <= this.log.now()) return "expired";
    const { merchantId, env, keyId } = found;
    return { merchantId, env, keyId };
  }

  private async lookUp(apiKey: string): Promise<(ApiKeyOwner & { expiresAt?: number }) | undefined> {
    if (!/^bm_(test|live)_[A-Za-z0-9_-]{16,64}$/.test(apiKey)) return undefined;
    const hash = sha256Hex(apiKey);
    const cached = this.keyCache.get(hash);
    if (cached) return cached;
    const stored = await this.log.get(keyIndex(hash));
    if (stored === undefined) return undefined;
    const owner = { ...(JSON.parse(stored) as StoredKey), keyId: hash.slice(0, 12) };
    if (this.keyCache.size >= MerchantDirectory.keyCacheMax) this.keyCache.clear();
    this.keyCache.set(hash, owner);
    return owner;
  }

  /**
   * Replaces a merchant's API key of one environment (a leaked key, a departing engineer). The new
   * key is shown once; the old one stops working now, or after `overlapSeconds` so that running
   * clients can be moved over. The record names both hashes, so an auditor sees which key acted when.
   */
  rollKey(
    merchantId: string,
    env: Environment,
    overlapSeconds: number,
    idempotency?: (result: RolledKey) => { scope: string; op: IndexOp },
  ): Promise<RolledKey> {
    const scope = merchantIndex(merchantId);
    return this.rolling.run(scope, () => this.rollNow(merchantId, env, overlapSeconds, idempotency));
  }

  private async rollNow(
    merchantId: string,
    env: Environment,
    overlapSeconds: number,
    idempotency?: (result: RolledKey) => { scope: string; op: IndexOp },
  ): Promise<RolledKey> {
    if (!(await this.find(merchantId))) {
      throw new DomainError("merchant_not_found", `no merchant ${merchantId}`);
    }
    const previousHash = await this.currentKeyHash(merchantId, env);
    const apiKey = newApiKey(env);
    const hash = sha256Hex(apiKey);
    const at = this.log.now();
    const previousKeyExpiresAt = at + overlapSeconds * 1000;
    const result: RolledKey = { environment: env, apiKey, previousKeyExpiresAt };
    const ops: IndexOp[] = [
      { type: "put", key: keyIndex(hash), value: JSON.stringify({ merchantId, env } satisfies StoredKey) },
    ];
    if (previousHash !== undefined) {
      const expiring: StoredKey = { merchantId, env, expiresAt: previousKeyExpiresAt };
      ops.push({ type: "put", key: keyIndex(previousHash), value: JSON.stringify(expiring) });
    }
    const idem = idempotency?.(result);
    if (idem) ops.push(idem.op);
    const record = await this.log.append(
      {
        env: "platform",
        merchantId,
        entity: `merchant:${merchantId}`,
        command: { type: "merchant.roll_api_key", merchantId, environment: env, overlapSeconds },
        facts: [
          {
            type: "merchant.api_key_rolled",
            merchantId,
            environment: env,
            apiKeySha256: hash,
            previousApiKeySha256: previousHash ?? null,
            previousKeyExpiresAt,
          },
        ],
        postings: [],
        keys: idem ? [idem.scope] : [],
      },
      at,
      ops,
    );
    if (previousHash !== undefined) this.keyCache.delete(previousHash);
    this.onCommitted(record);
    for (const listener of this.rollListeners) listener();
    return result;
  }

  /** Told after every roll (the feed closes connections whose key stopped working); returns the unsubscribe. */
  onKeyRolled(listener: () => void): () => void {
    this.rollListeners.add(listener);
    return () => this.rollListeners.delete(listener);
  }

  /** The hash of the merchant's newest key of `env`, from its records: created, then each roll. */
  private async currentKeyHash(merchantId: string, env: Environment): Promise<string | undefined> {
    let beforeSeq: number | undefined;
    for (;;) {
      const page = await readEntityRecords(this.log, `merchant:${merchantId}`, {
        limit: 50,
        ...(beforeSeq !== undefined ? { beforeSeq } : {}),
      });
      for (const record of page.records) {
        for (const fact of record.facts as Array<Record<string, unknown>>) {
          if (fact.type === "merchant.api_key_rolled" && fact.environment === env)
            return fact.apiKeySha256 as string;
          if (fact.type === "merchant.created")
            return (fact.apiKeySha256 as Record<Environment, string> | undefined)?.[env];
        }
        beforeSeq = record.seq;
      }
      if (!page.hasMore) return undefined;
    }
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
