import { isWalletEntity } from "../machines/walletKind.js";
import type { EntitySeqsOptions } from "../wal/entityIndex.js";
import type { Log } from "../wal/log.js";
import type { WalletFact } from "../machines/walletTypes.js";
import type { CommittedRecord, RecordPart } from "../wal/record.js";
import { walletShareOf, withUsage, type LedgerWalletFact, type WalletShare } from "./walletRecordFacts.js";

/** Names how a wallet's share of a record is kept beside its index entry (LogOptions.entryValuesFormat). */
export const walletSharesFormat = "wallet-share-1";

/** A wallet's share as kept beside its index entry. */
interface KeptShare {
  at: number;
  facts: LedgerWalletFact[];
}

/**
 * Reads a wallet's part of each of its records. A usage batch charges hundreds of wallets in one
 * large record; the first time any of them is read, the batch is decoded once and every wallet's
 * share is kept beside that wallet's index entry, so reading usage and history costs a wallet its
 * own share, not the decoding of every batch it was charged in. A wallet's own records are small
 * and read whole.
 */
export class WalletShares {
  /** Records being decoded for their shares: concurrent readers of one batch share the work. */
  private readonly decoding = new Map<number, Promise<CommittedRecord | undefined>>();

  constructor(private readonly log: Log) {}

  /** The wallet's shares of its durable records, oldest first (newest first with `reverse`). */
  async *of(entity: string, options: EntitySeqsOptions = {}): AsyncGenerator<WalletShare> {
    for await (const { seq, value } of this.log.entityEntries(entity, options)) {
      if (seq > this.log.durableHead) continue;
      if (value !== "") {
        const kept = JSON.parse(value) as KeptShare;
        yield { seq, at: kept.at, own: false, facts: kept.facts };
        continue;
      }
      const record = await this.decode(seq);
      if (record) yield walletShareOf(record, entity);
    }
  }

  private decode(seq: number): Promise<CommittedRecord | undefined> {
    let pending = this.decoding.get(seq);
    if (pending === undefined) {
      pending = this.decodeAndKeep(seq).finally(() => this.decoding.delete(seq));
      this.decoding.set(seq, pending);
    }
    return pending;
  }

  private async decodeAndKeep(seq: number): Promise<CommittedRecord | undefined> {
    const record = await this.log.getRecord(seq);
    if (record?.touches !== undefined) await this.log.keepEntryValues(seq, sharesOf(record));
    return record;
  }
}

/** Every wallet's share of a record that changed many entities, as kept beside its entry. */
function sharesOf(record: CommittedRecord): Map<string, string> {
  // One pass over the parts (walletFactsIn per wallet would read them all for each wallet).
  const facts = new Map<string, LedgerWalletFact[]>();
  const parts = (record.command as { parts?: RecordPart[] }).parts ?? [];
  parts.forEach((part, i) => {
    if (!isWalletEntity(part.entity) || part.entity === record.entity) return;
    const fact = withUsage(record.facts[i] as unknown as WalletFact, part.command);
    const own = facts.get(part.entity);
    if (own) own.push(fact);
    else facts.set(part.entity, [fact]);
  });
  const values = new Map<string, string>();
  for (const [entity, share] of facts) {
    const kept: KeptShare = { at: record.at, facts: share };
    values.set(entity, JSON.stringify(kept));
  }
  return values;
}
