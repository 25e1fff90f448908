import { randomBytes } from "node:crypto";

/**
 * Ids are a prefix naming the kind and 20 random base32 characters. Only the edges (API, runtime)
 * create ids; machines receive them inside commands so replay is deterministic.
 */
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix = "mer" | "cus" | "wtx" | "rsv" | "req" | "evt" | "rc" | "ubt";

export function newId(prefix: IdPrefix): string {
  const bytes = randomBytes(20);
  let out = "";
  for (const b of bytes) out += alphabet[b & 31];
  return `${prefix}_${out}`;
}
