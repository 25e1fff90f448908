/**
 * What an audit can find. Each finding names the log sequence where it shows (null when it belongs
 * to no single record), and the entity or account concerned when there is one.
 */
export type FindingCheck =
  | "gap"
  | "malformed"
  | "bad_checksum"
  | "sequence_mismatch"
  | "broken_chain"
  | "time_went_back"
  | "bad_amount"
  | "unbalanced_postings"
  | "cross_environment_posting"
  | "bad_parts"
  | "negative_wallet"
  | "key_reused"
  | "stored_response"
  | "replay_diverged"
  | "wallet_ledger_mismatch"
  | "ledger_unbalanced"
  | "entity_index"
  | "checkpoint_ahead_of_log"
  | "checkpoint_mismatch"
  | "snapshot_ahead_of_log"
  | "snapshot_anchor_mismatch"
  | "snapshot_unreadable"
  | "snapshot_checksum"
  | "snapshot_mismatch";

export interface Finding {
  seq: number | null;
  check: FindingCheck;
  message: string;
  entity?: string;
  account?: string;
}

/** Findings kept per run: a badly damaged ledger would otherwise list millions. */
export const findingsMax = 10_000;

export class FindingList {
  readonly items: Finding[] = [];
  dropped = 0;

  add(finding: Finding): void {
    if (this.items.length < findingsMax) this.items.push(finding);
    else this.dropped += 1;
  }

  get count(): number {
    return this.items.length + this.dropped;
  }
}

/**
 * The ledger cannot be read past this point: commands that fold the log (balances, entity, export)
 * stop here, naming the sequence; `audit verify` lists every such problem instead.
 */
export class AuditIntegrityError extends Error {
  constructor(readonly finding: Finding) {
    super(`${finding.seq === null ? "" : `seq ${finding.seq}: `}${finding.message} (run \`audit verify\`)`);
    this.name = "AuditIntegrityError";
  }
}
