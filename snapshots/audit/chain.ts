import { decodeRecord } from "../../wal/codec.js";
import { genesisHash, type CommittedRecord } from "../../wal/record.js";
import type { Finding } from "./findings.js";

/** A log entry as stored: the sequence its key names and the raw value. */
export interface RawEntry {
  key: string;
  value: string;
}

const recordKey = /^l!(\d{16})$/;
const claimedHash = /^[0-9a-f]{64}\n/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isTyped = (value: unknown) => isObject(value) && typeof value.type === "string";
const isStringList = (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === "string");

/** What is wrong with a record's shape (its checksum may be valid and its content still not a record). */
function shapeProblem(record: CommittedRecord): string | undefined {
  const r = record as unknown as Record<string, unknown>;
  if (typeof r.seq !== "number" || typeof r.at !== "number") return "has no numeric seq and time";
  if (typeof r.prevHash !== "string") return "has no previous hash";
  if (typeof r.entity !== "string" || typeof r.env !== "string") return "names no entity or environment";
  if (!isTyped(r.command)) return "has no command";
  if (!Array.isArray(r.facts) || !r.facts.every(isTyped)) return "has facts without a type";
  if (!Array.isArray(r.postings) || !r.postings.every(isObject)) return "has postings that are not objects";
  if (!isStringList(r.keys)) return "has keys that are not strings";
  if (r.touches !== undefined && !isStringList(r.touches)) return "has touches that are not entity names";
  return undefined;
}

/**
 * Follows the log in key order and checks what Log.open checks — contiguous sequence, checksum,
 * the sequence inside the record, hash chain, ledger time — but reports every problem and goes on
 * (Log.open stops at the first). After a record fails its checksum, the chain continues from the
 * hash it claims; after a gap, the next link cannot be checked.
 */
export class ChainCheck {
  private expected: number;
  private prevHash: string | null;
  private prevAt = 0;
  lastSeq = 0;
  lastHash: string | null = null;
  lastAt: number | null = null;

  /** Starts at `fromSeq`, whose predecessor has `prevHash` (unknown: null, the first link is not checked). */
  constructor(fromSeq = 1, prevHash: string | null = genesisHash, prevAt = 0) {
    this.expected = fromSeq;
    this.prevHash = prevHash;
    this.prevAt = prevAt;
  }

  /** Checks one stored entry; returns the record when it can be read at all. */
  feed(entry: RawEntry, report: (finding: Finding) => void): CommittedRecord | undefined {
    const match = recordKey.exec(entry.key);
    if (!match) {
      report({ seq: null, check: "malformed", message: `a log key "${entry.key}" names no sequence` });
      return undefined;
    }
    const seq = Number(match[1]);
    let linked = true;
    if (seq !== this.expected) {
      const missing = seq - this.expected;
      report({
        seq: this.expected,
        check: "gap",
        message:
          missing === 1
            ? `ledger record ${this.expected} is missing (found ${seq} next)`
            : `ledger records ${this.expected}–${seq - 1} are missing (${missing} records; found ${seq} next)`,
      });
      linked = false;
    }
    this.expected = seq + 1;
    this.lastSeq = seq;
    const decoded = decodeRecord(entry.value);
    if (!decoded.ok) {
      report({
        seq,
        check: decoded.reason,
        message: {
          bad_checksum: `ledger record ${seq} fails its checksum: its bytes were changed`,
          broken_chain: `ledger record ${seq} does not chain to record ${seq - 1}: its header names another previous hash than its hashed body`,
          malformed: `ledger record ${seq} cannot be read`,
        }[decoded.reason],
      });
      this.prevHash = claimedHash.test(entry.value) ? entry.value.slice(0, 64) : null;
      this.lastHash = this.prevHash;
      return undefined;
    }
    const record = decoded.record;
    const shape = shapeProblem(record);
    if (shape) {
      report({ seq, check: "malformed", message: `ledger record ${seq} ${shape}` });
      this.prevHash = record.hash;
      this.lastHash = record.hash;
      return undefined;
    }
    if (record.seq !== seq) {
      report({
        seq,
        check: "sequence_mismatch",
        message: `ledger record stored at ${seq} says it is ${String(record.seq)}`,
      });
    }
    if (linked && this.prevHash !== null && record.prevHash !== this.prevHash) {
      report({
        seq,
        check: "broken_chain",
        message: `ledger record ${seq} does not chain to record ${seq - 1}: the hash chain is broken`,
      });
    }
    if (typeof record.at !== "number" || record.at < this.prevAt) {
      report({ seq, check: "time_went_back", message: `ledger record ${seq} goes back in ledger time` });
    } else {
      this.prevAt = record.at;
    }
    this.prevHash = record.hash;
    this.lastHash = record.hash;
    this.lastAt = record.at;
    return record;
  }

  /** Where the next record must start. */
  get nextSeq(): number {
    return this.expected;
  }
}
