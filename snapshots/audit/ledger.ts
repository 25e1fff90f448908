import { rename, stat } from "node:fs/promises";
import { Level } from "level";
import { keys } from "../../wal/keys.js";
import { decodeRecord } from "../../wal/codec.js";
import { readChunkBytes } from "../../wal/chainRange.js";
import { EntityIndex, entityIndexDir } from "../../wal/entityIndex.js";
import type { CommittedRecord } from "../../wal/record.js";
import { ChainCheck, type RawEntry } from "./chain.js";
import { copyLedgerDir, type CopyOptions, type LedgerCopy } from "./copy.js";
import { AuditIntegrityError } from "./findings.js";

const readBatchEntriesMax = 1_000;

/**
 * A read-only view of a ledger for the audit: a private copy of the data directory, opened with
 * LevelDB (see copy.ts). Nothing here writes to the directory it was given; closing removes the copy.
 *
 * The entity index is copied before the log: the server lists a record only after it is durable, so
 * the copied index can lag the copied log but never run ahead of it. The copy is then brought up to
 * the copied log, as the server does on open; entries below its mark are the server's, and checked.
 */
export class AuditLedger {
  private constructor(
    private readonly db: Level<string, string>,
    private readonly index: EntityIndex,
    readonly copy: LedgerCopy,
    readonly dataDir: string,
  ) {}

  static async open(dataDir: string, options: CopyOptions = {}): Promise<AuditLedger> {
    const indexCopy = (await hasIndex(dataDir))
      ? await copyLedgerDir(entityIndexDir(dataDir), options)
      : null;
    let copy: LedgerCopy;
    try {
      copy = await copyLedgerDir(dataDir, options);
      if (indexCopy) await rename(indexCopy.path, entityIndexDir(copy.path));
    } catch (error) {
      await indexCopy?.remove();
      throw error;
    }
    const db = new Level<string, string>(copy.path, {
      keyEncoding: "utf8",
      valueEncoding: "utf8",
      createIfMissing: false,
    });
    let index: EntityIndex | undefined;
    try {
      await db.open();
      index = await EntityIndex.open(copy.path, () => {});
      const ledger = new AuditLedger(db, index, copy, dataDir);
      await ledger.indexTail(index);
      return ledger;
    } catch (error) {
      await index?.close();
      await db.close();
      await copy.remove();
      throw error;
    }
  }

  /** Lists the copied records the copied index lacks; an unreadable record is left to the checks. */
  private async indexTail(index: EntityIndex): Promise<void> {
    for await (const { value } of this.rawRecords(index.indexedThrough + 1)) {
      const decoded = decodeRecord(value);
      if (!decoded.ok || decoded.record.seq <= index.indexedThrough) continue;
      index.add(decoded.record);
    }
    await index.settled();
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
    const iterator = this.db.iterator({ gte, lt, highWaterMarkBytes: readChunkBytes });
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

  /** Why the copied entity index could not be opened (it was then built from the log), if so. */
  get indexDiscarded(): string | null {
    return this.index.discarded;
  }

  /** Every key of the entity index (`e!<entity>!<seq>`), in order. */
  async *entityIndexKeys(): AsyncGenerator<string> {
    for await (const key of this.index.db.keys({ gte: "e!", lt: "e~" })) yield key;
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
        message: `ledger record ${seq} ${{ bad_checksum: "fails its checksum", broken_chain: "does not chain to the record before it", malformed: "cannot be read" }[decoded.reason]}`,
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
    return this.index.seqs(entity, {
      ...(options.afterSeq === undefined ? {} : { afterSeq: options.afterSeq }),
      ...(options.toSeq === undefined ? {} : { beforeSeq: options.toSeq + 1 }),
    });
  }

  async get(key: string): Promise<string | undefined> {
    return this.db.get(key);
  }

  async close(): Promise<void> {
    try {
      await this.index.close();
      await this.db.close();
    } finally {
      await this.copy.remove();
    }
  }
}

async function hasIndex(dataDir: string): Promise<boolean> {
  return stat(entityIndexDir(dataDir)).then(
    () => true,
    () => false,
  );
}
