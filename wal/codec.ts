import { createHash } from "node:crypto";
import stableStringify from "fast-json-stable-stringify";
import type { CommittedRecord, LogRecord } from "./record.js";

/**
 * A stored record is `<sha256 hex>\n<canonical JSON>`. The hash covers the canonical bytes,
 * which include the previous record's hash: one check finds a flipped bit, another a broken chain.
 */
export function encodeRecord(record: LogRecord): { value: string; hash: string } {
  const canonical = stableStringify(record);
  const hash = createHash("sha256").update(canonical).digest("hex");
  return { value: `${hash}\n${canonical}`, hash };
}

export type DecodeResult =
  { ok: true; record: CommittedRecord } | { ok: false; reason: "malformed" | "bad_checksum" };

export function decodeRecord(value: string): DecodeResult {
  const newline = value.indexOf("\n");
  if (newline !== 64) return { ok: false, reason: "malformed" };
  const hash = value.slice(0, 64);
  const canonical = value.slice(65);
  if (createHash("sha256").update(canonical).digest("hex") !== hash)
    return { ok: false, reason: "bad_checksum" };
  let parsed: LogRecord;
  try {
    parsed = JSON.parse(canonical) as LogRecord;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  return { ok: true, record: { ...parsed, hash } };
}
