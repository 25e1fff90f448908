import { Level } from "level";
import { keys, seqFromEntityKey, padSeq } from "../../wal/keys.js";
import { decodeRecord } from "../../wal/codec.js";
import type { CommittedRecord } from "../../wal/record.js";
import { ChainCheck, type RawEntry } from "./chain.js";
import { copyLedgerDir, type CopyOptions, type LedgerCopy } from "./copy.js";
import { AuditIntegrityError } from "./findings.js";

const readBatchEntriesMax = 1_000;

/**
 * A read-only view of a ledger for the audit: a private copy of the data directory, opened with
 * LevelDB (see copy.ts). Nothing here writes to the directory it was given; closing removes the copy.
 */
export class AuditLedger {
  private constructor(
    private readonly db: Level<string, string>,
    readonly copy: LedgerCopy,
    readonly dataDir: string,
  ) {}

  static async open(dataDir: string, options: CopyOptions = {}): Promise<AuditLedger> {
    const copy = await copyLedgerDir(dataDir, options);
    const db = new Level<string, string>(copy.path, {
      keyEncoding: "utf8",
      valueEncoding: "utf8",
      createIfMissing: false,
    });
    try {
      await db.open();
    } catch (error) {
      await copy.remove();
      throw error;
    }
    return new AuditLedger(db, copy, dataDir);
  }

  /** The highest sequence stored (whether or not every record below it is present). */
  async lastStoredSeq(): Promise<number> {
    for await (const key of this.db.keys({
      gte: keys.recordPrefixStart,
      lt: keys.recordPrefixEnd,
      reverse: true,
      limit: 1,
    })) {
      const seq = Number(key.slice(2));
      return Number.isInteger(seq) ? seq : 0;
    }
    return 0;
  }

  /** Every stored log entry from `fromSeq` through `toSeq`, in key order, unchecked. */
  async *rawRecords(fromSeq = 1, toSeq?: number): AsyncGenerator<RawEntry> {
    yield* this.range(
      keys.record(fromSeq),
      toSeq === undefined ? keys.recordPrefixEnd : keys.record(toSeq + 1),
    );
  }

  /** Key/value pairs in [gte, lt). */
  async *range(gte: string, lt: string): AsyncGenerator<RawEntry> {
    const iterator = this.db.iterator({ gte, lt });
    try {
      for (;;) {
        const entries = await iterator.nextv(readBatchEntriesMax);
        if (entries.length === 0) break;
        for (const [key, value] of entries) yield { key, value };
      }
    } finally {
      await iterator.close();
    }
  }

  /** Keys only in [gte, lt). */
  async *rangeKeys(gte: string, lt: string): AsyncGenerator<string> {
    for await (const key of this.db.keys({ gte, lt })) yield key;
  }

  /**
   * Records 1..toSeq in order, every one checked (sequence, checksum, chain, time); the first
   * problem throws AuditIntegrityError: a fold over a broken log means nothing.
   */
  async *records(toSeq?: number): AsyncGenerator<CommittedRecord> {
    const chain = new ChainCheck();
    for await (const entry of this.rawRecords(1, toSeq)) {
      const record = chain.feed(entry, (finding) => {
        throw new AuditIntegrityError(finding);
      });
      if (record) yield record;
    }
    if (toSeq !== undefined && chain.nextSeq <= toSeq) {
      throw new AuditIntegrityError({
        seq: chain.nextSeq,
        check: "gap",
        message: `the log ends at ${chain.nextSeq - 1}, before ${toSeq}`,
      });
    }
  }

  /** One record, checksum checked; undefined when absent. */
  async record(seq: number): Promise<CommittedRecord | undefined> {
    const value = await this.db.get(keys.record(seq));
    if (value === undefined) return undefined;
    const decoded = decodeRecord(value);
    if (!decoded.ok) {
      throw new AuditIntegrityError({
        seq,
        check: decoded.reason,
        message: `ledger record ${seq} ${decoded.reason === "bad_checksum" ? "fails its checksum" : "cannot be read"}`,
      });
    }
    if (decoded.record.seq !== seq) {
      throw new AuditIntegrityError({
        seq,
        check: "sequence_mismatch",
        message: `ledger record stored at ${seq} says it is ${decoded.record.seq}`,
      });
    }
    return decoded.record;
  }

  /** The entity's indexed record sequences up to `toSeq`, oldest first. */
  async entitySeqs(entity: string, options: { afterSeq?: number; toSeq?: number } = {}): Promise<number[]> {
    const prefix = keys.entityPrefix(entity);
    const gte = options.afterSeq === undefined ? prefix : prefix + padSeq(options.afterSeq + 1);
    const lt = options.toSeq === undefined ? `${prefix}~` : prefix + padSeq(options.toSeq + 1);
    const seqs: number[] = [];
    for await (const key of this.rangeKeys(gte, lt)) seqs.push(seqFromEntityKey(key));
    return seqs;
  }

  async get(key: string): Promise<string | undefined> {
    return this.db.get(key);
  }

  async close(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      await this.copy.remove();
    }
  }
}
