import type { UsageDetail, WalletFact } from "../machines/walletTypes.js";
import type { CommittedRecord, LoggedCommand, RecordPart } from "../wal/record.js";

/** A wallet fact as read back from the ledger: a usage fact carries the event its command logged. */
export type LedgerWalletFact = WalletFact & { usage?: UsageDetail };

/**
 * One wallet's facts in a record, in order: the record's own facts when it is the wallet's record,
 * else the facts of the wallet's parts (a usage batch, a collection record).
 */
export function walletFactsIn(
  record: Pick<CommittedRecord, "entity" | "command" | "facts">,
  entity: string,
): LedgerWalletFact[] {
  if (record.entity === entity) return record.facts as unknown as WalletFact[];
  const parts = (record.command as { parts?: RecordPart[] }).parts ?? [];
  const facts: LedgerWalletFact[] = [];
  parts.forEach((part, i) => {
    if (part.entity === entity) facts.push(withUsage(record.facts[i] as unknown as WalletFact, part.command));
  });
  return facts;
}

/** A wallet's part of one record: the record's facts if it is the wallet's own, else its share. */
export interface WalletShare {
  seq: number;
  at: number;
  /** Whether the record is the wallet's own (a grant, a debit), not one that changed many entities. */
  own: boolean;
  facts: LedgerWalletFact[];
}

export function walletShareOf(record: CommittedRecord, entity: string): WalletShare {
  return {
    seq: record.seq,
    at: record.at,
    own: record.entity === entity,
    facts: walletFactsIn(record, entity),
  };
}

/** A usage fact with its event, which only its command logs; any other fact as it is. */
export function withUsage(fact: WalletFact, command: LoggedCommand | undefined): LedgerWalletFact {
  if (fact.type !== "usage.charged" && fact.type !== "usage.accrued") return fact;
  const usage = (command as { detail?: UsageDetail } | undefined)?.detail;
  return usage === undefined ? fact : { ...fact, usage };
}
