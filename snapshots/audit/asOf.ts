import { AuditIntegrityError } from "./findings.js";
import type { AuditLedger } from "./ledger.js";

/** A point in the ledger: after record `seq` (0 = before the first record). */
export interface AsOfPoint {
  seq: number;
  at: number | null;
  hash: string | null;
}

export type AsOfInput = { seq: number } | { timeMs: number } | "head";

/** The as-of point asked for lies beyond what the log holds: a usage error, not a finding. */
export class AsOfOutOfRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AsOfOutOfRangeError";
  }
}

async function atOf(ledger: AuditLedger, seq: number): Promise<number> {
  const record = await ledger.record(seq);
  if (!record) {
    throw new AuditIntegrityError({ seq, check: "gap", message: `ledger record ${seq} is missing` });
  }
  return record.at;
}

/**
 * Resolves an as-of sequence or time to a point. A time means the last record whose ledger time is
 * at or before it; ledger time never decreases, so a binary search over sequences finds it.
 */
export async function resolveAsOf(ledger: AuditLedger, input: AsOfInput): Promise<AsOfPoint> {
  const last = await ledger.lastStoredSeq();
  let seq: number;
  if (input === "head") {
    seq = last;
  } else if ("seq" in input) {
    if (input.seq > last) {
      throw new AsOfOutOfRangeError(`--as-of-seq ${input.seq} is past the last record (${last})`);
    }
    seq = input.seq;
  } else {
    let low = 0;
    let high = last;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if ((await atOf(ledger, mid)) <= input.timeMs) low = mid;
      else high = mid - 1;
    }
    seq = low;
  }
  if (seq === 0) return { seq: 0, at: null, hash: null };
  const record = await ledger.record(seq);
  if (!record)
    throw new AuditIntegrityError({ seq, check: "gap", message: `ledger record ${seq} is missing` });
  return { seq, at: record.at, hash: record.hash };
}
