import type { Environment } from "../domain/environment.js";
import type { Posting } from "../domain/postings.js";

/** A command as it entered an actor: the input event, with amounts as digit strings. */
export interface LoggedCommand {
  type: string;
  [field: string]: unknown;
}

/** A fact the command produced, past tense (`wallet.debited`). */
export interface LoggedFact {
  type: string;
  [field: string]: unknown;
}

/** What an actor hands to the log; the log adds sequence, time and chain. */
export interface RecordDraft {
  env: Environment | "platform";
  merchantId: string | null;
  entity: string;
  command: LoggedCommand;
  facts: LoggedFact[];
  postings: Posting[];
  /** Idempotency scopes this record consumes (written in the same batch). */
  keys: string[];
  /** Other entities this record changes (a usage batch charges many wallets); each gets an index entry. */
  touches?: string[];
}

/**
 * A record that changes several entities carries its command as parts, in the order they were
 * decided: part i produced fact i and the postings in [postings[0], postings[1]).
 */
export interface RecordPart {
  entity: string;
  command: LoggedCommand;
  postings: [number, number];
}

export interface LogRecord extends RecordDraft {
  seq: number;
  /** Ledger time, ms since epoch; never decreases. */
  at: number;
  prevHash: string;
}

export interface CommittedRecord extends LogRecord {
  hash: string;
}

/** An index entry written atomically with a record. */
export type IndexOp = { type: "put"; key: string; value: string } | { type: "del"; key: string };

export const genesisHash = "0".repeat(64);
