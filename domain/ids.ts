import { randomFillSync } from "node:crypto";

/**
 * Ids are a prefix naming the kind and 20 random base32 characters. Only the edges (API, runtime)
 * create ids; machines receive them inside commands so replay is deterministic.
 */
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

/** Id kinds in use; other helpers' prefixes (payments, webhooks) are accepted as plain strings too. */
export type IdPrefix =
  | "mer"
  | "cus"
  | "wtx"
  | "rsv"
  | "req"
  | "evt"
  | "rc"
  | "ubt"
  | "we"
  | "whd"
  | "inv"
  | "pay"
  | "rfd"
  | "prod"
  | "price"
  | "clock";

// One system call fills randomness for many ids: a call per id cost more than the rest of a request.
const pool = Buffer.alloc(20 * 256);
let offset = pool.length;

export function newId(prefix: IdPrefix | (string & {})): string {
  if (offset + 20 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = "";
  for (let i = offset; i < offset + 20; i++) out += alphabet[(pool[i] as number) & 31];
  offset += 20;
  return `${prefix}_${out}`;
}
