import { channelLimits } from "./limits.js";

/**
 * Remembers callback nonces long enough to refuse replays. Injectable so a multi-node
 * deployment can share one (e.g. in its KV store).
 */
export interface NonceStore {
  /** Records `nonce` until `expiresAtMs`; answers false when it is already recorded (a replay). */
  remember(nonce: string, expiresAtMs: number, nowMs: number): boolean | Promise<boolean>;
}

/**
 * In-memory, bounded. Past `entriesMax` it forgets the entry that expires first: a replay of that
 * nonce could then pass, which needs more than `entriesMax` verified callbacks within the skew window.
 */
export function createMemoryNonceStore(entriesMax: number = channelLimits.nonceStoreEntriesMax): NonceStore {
  const expiries = new Map<string, number>();
  return {
    remember(nonce, expiresAtMs, nowMs) {
      const known = expiries.get(nonce);
      if (known !== undefined && known > nowMs) return false;
      if (known !== undefined) expiries.delete(nonce);
      // Insertion order approximates expiry order: every entry lives for the same window.
      for (const [key, expiry] of expiries) {
        if (expiry > nowMs && expiries.size < entriesMax) break;
        expiries.delete(key);
      }
      expiries.set(nonce, expiresAtMs);
      return true;
    },
  };
}
