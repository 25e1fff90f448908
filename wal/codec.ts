import { hash as digest } from "node:crypto";
import { canonicalJson } from "../domain/canonicalJson.js";
import { peekRecord } from "./chainRange.js";
import type { CommittedRecord, LogRecord } from "./record.js";

/**
 * A stored record is three lines: `<sha256 of the body>\n<previous record's hash>\n<canonical JSON body>`.
 * The hash covers the canonical bytes (which name the previous hash too). Startup verification
 * reads only the two header lines and hashes the body — no JSON parsing — so a flipped bit
 * (checksum) and a broken chain are told apart cheaply; the body's own prevHash is checked
 * against the header whenever the body is parsed.
 */
export function encodeRecord(record: LogRecord): { value: string; hash: string } {
  const canonical = canonicalJson(record);
  const hash = sha256Hex(canonical);
  return { value: `${hash}\n${record.prevHash}\n${canonical}`, hash };
}

const prevHashMember = '"prevHash":"';

/**
 * A record's canonical body with an empty prevHash, and where its value goes: inserting the previous
 * record's hash at `split` gives the body encodeRecord writes. The record's own prevHash must be "".
 */
export function encodeUnchained(record: LogRecord): { canonical: string; split: number } {
  if (record.prevHash !== "") throw new Error("encodeUnchained: the record's prevHash must be empty");
  const canonical = canonicalJson(record);
  // Only seq and touches follow prevHash. Without touches the tail is `","seq":<seq>}`; with them,
  // the last `"prevHash":"` is the record's own (touches are strings, where quotes are escaped).
  const split =
    record.touches === undefined
      ? canonical.length - 9 - String(record.seq).length
      : canonical.lastIndexOf(prevHashMember) + prevHashMember.length;
  if (!canonical.startsWith(prevHashMember, split - prevHashMember.length) || canonical[split] !== '"') {
    throw new Error("encodeUnchained: the record's prevHash is not where canonical order puts it");
  }
  return { canonical, split };
}

/** One-shot hashing: for values this small, half the cost of a Hash object. */
const sha256Hex = (text: string): string => digest("sha256", text, "hex");

export { peekRecord, type PeekResult } from "./chainRange.js";

export type DecodeResult =
  | { ok: true; record: CommittedRecord }
  | { ok: false; reason: "malformed" | "bad_checksum" | "broken_chain" };

export function decodeRecord(value: string): DecodeResult {
  const peeked = peekRecord(value);
  if (!peeked.ok) return peeked;
  let parsed: CommittedRecord;
  try {
    parsed = JSON.parse(peeked.body) as CommittedRecord;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (parsed.prevHash !== peeked.prevHash) return { ok: false, reason: "malformed" };
  parsed.hash = peeked.hash;
  return { ok: true, record: parsed };
}
