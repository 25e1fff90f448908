import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Level } from "level";
import { startReclaimer, type FileReclaimer } from "./fileReclaimer.js";
import { entryValuesFormatKey, indexedThroughKey } from "./keyLayout.js";
import { keys, padSeq, seqFromEntityKey } from "./keys.js";
import type { CommittedRecord } from "./record.js";
import { SeqWaiters } from "./seqWaiters.js";

/** Where a ledger keeps its entity index: a LevelDB store of its own, inside the ledger's directory. */
export const entityIndexDir = (ledgerDir: string): string => join(ledgerDir, "entity-index");

/** Every entity a record is listed under: its own, and the ones it touches. */
export function entitiesOf(record: { entity: string; touches?: readonly string[] }): readonly string[] {
  return record.touches === undefined ? [record.entity] : [record.entity, ...record.touches];
}

/** Entries that must be written before a reader looks; bounded by the ledger's commit queue. */
interface PendingEntries {
  entries: string[];
  throughSeq: number;
}

/** One entry of the index: a record of the entity, and what the owner keeps beside it. */
export interface EntityEntry {
  seq: number;
  value: string;
}

export interface EntitySeqsOptions {
  /** Only records after this sequence. */
  afterSeq?: number;
  /** Only records before this sequence. */
  beforeSeq?: number;
  reverse?: boolean;
  limit?: number;
}

/**
 * The per-entity index of ledger records (`e!<entity>!<seq>`), derived from the log and kept in a
 * store of its own. In the ledger's store these small random keys shared table files with the
 * records, so every compaction rewrote records too; here the ledger's files stay in sequence order.
 *
 * Being derived, the index is written after the records it lists are durable, in a synced write of
 * its own that appends do not wait for, and it may lag the log after a crash: `indexedThrough` says
 * how far it is complete (the mark is written with the entries it covers, and synced writes survive
 * as a prefix), and opening the ledger lists the rest. Readers wait for the writes already handed
 * over, so a caller that saw an append resolve also sees it listed. Rebuilding a wallet from its
 * snapshot reads this index, so an entry is never left to an unsynced write a power loss could
 * drop from the middle.
 */
export class EntityIndex {
  private pending: PendingEntries = { entries: [], throughSeq: 0 };
  /** The highest sequence whose entries are written (`through` runs ahead while a write is pending). */
  private writtenThrough: number;
  /** Readers waiting for the entries through a sequence to be written (settled). */
  private readonly readers = new SeqWaiters();
  private writing: Promise<void> | null = null;
  private failed: unknown = null;
  /** Frees the store's obsolete files off LevelDB's lock (wal/fileReclaimer.ts). */
  private reclaimer: FileReclaimer | null = null;

  private constructor(
    readonly db: Level<string, string>,
    /** The store's directory (the log's writer thread opens it too). */
    readonly location: string,
    private through: number,
    private readonly onFailure: (error: unknown) => void,
    /** Why the index found on open was thrown away, if it was. */
    readonly discarded: string | null,
    /** The format of the values in the stored entries ("" for none). */
    readonly storedFormat: string,
    /** The format of the values this index keeps ("" for none). */
    readonly format: string,
  ) {
    this.writtenThrough = through;
  }

  /**
   * Opens the index kept beside the ledger. An index LevelDB cannot open (a lost or damaged file) is
   * discarded and built again from the log: it holds nothing the log does not.
   */
  static async open(
    ledgerDir: string,
    onFailure: (error: unknown) => void,
    format = "",
  ): Promise<EntityIndex> {
    const location = entityIndexDir(ledgerDir);
    let db = openStore(location);
    let discarded: string | null = null;
    try {
      await db.open();
    } catch (error) {
      if (causeCode(error) === "LEVEL_LOCKED") throw error;
      discarded = errorMessage(error);
      await rm(location, { recursive: true, force: true });
      db = openStore(location);
      await db.open();
    }
    try {
      const [mark, stored] = await db.getMany([indexedThroughKey, entryValuesFormatKey]);
      const through = mark === undefined ? 0 : Number(mark);
      const index = new EntityIndex(db, location, through, onFailure, discarded, stored ?? "", format);
      index.reclaimer = await startReclaimer(location);
      return index;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /** Every record at or below this sequence is listed and written. */
  get writtenThroughSeq(): number {
    return this.writtenThrough;
  }

  /** Every record at or below this sequence is listed (once the writes handed over have landed). */
  get indexedThrough(): number {
    return this.through;
  }

  /** Lists a record under each entity it names. Sequences must arrive in increasing order. */
  add(record: CommittedRecord): void {
    const { seq } = record;
    if (seq <= this.through) throw new Error(`entity index: record ${seq} is at or below ${this.through}`);
    // After a failed write the process is stopping (fail-stop); nothing more is kept.
    if (this.failed !== null) return;
    for (const entity of entitiesOf(record)) this.pending.entries.push(keys.entityRecord(entity, seq));
    this.pending.throughSeq = seq;
    this.through = seq;
    if (this.writing === null) this.writing = this.writePending();
  }

  /**
   * Notes that records through `seq` are being listed by another writer (the log's writer thread),
   * which reports with written() or writeFailed(). Sequences must arrive in increasing order.
   */
  handOver(seq: number): void {
    if (seq <= this.through) throw new Error(`entity index: record ${seq} is at or below ${this.through}`);
    this.through = seq;
  }

  /** The other writer has written every entry through `seq`, with the mark. */
  written(seq: number): void {
    if (seq > this.writtenThrough) this.writtenThrough = seq;
    this.readers.wake(this.writtenThrough);
  }

  /** The other writer could not write: the process is stopping (fail-stop), readers are let go. */
  writeFailed(error: unknown): void {
    if (this.failed !== null) return;
    this.failed = error;
    this.onFailure(error);
    this.readers.wake(this.writtenThrough, true);
  }

  /** One write at a time, so the mark never lands before the entries below it. */
  private async writePending(): Promise<void> {
    while (this.pending.throughSeq > 0 && this.failed === null) {
      const { entries, throughSeq } = this.pending;
      this.pending = { entries: [], throughSeq: 0 };
      const batch = this.db.batch();
      for (const key of entries) batch.put(key, "");
      batch.put(indexedThroughKey, String(throughSeq));
      if (this.format !== "") batch.put(entryValuesFormatKey, this.format);
      try {
        await batch.write({ sync: true });
        this.writtenThrough = throughSeq;
      } catch (error) {
        this.failed = error;
        this.onFailure(error);
      }
      this.readers.wake(this.writtenThrough, this.failed !== null);
    }
    this.writing = null;
  }

  /**
   * Resolves when everything handed over so far is written. Only that: a reader is not held while
   * later appends keep the index writing.
   */
  async settled(): Promise<void> {
    const throughSeq = this.through;
    if (this.writtenThrough < throughSeq && this.failed === null) await this.readers.until(throughSeq);
    if (this.failed !== null)
      throw new Error("the entity index could not be written", { cause: this.failed });
  }

  /** Sequences of an entity's records, oldest first (or newest first with `reverse`). */
  async seqs(entity: string, options: EntitySeqsOptions = {}): Promise<number[]> {
    await this.settled();
    const seqs: number[] = [];
    for await (const key of this.db.keys(rangeOf(entity, options))) seqs.push(seqFromEntityKey(key));
    return seqs;
  }

  /**
   * Keeps values beside entries already listed for record `seq` (by entity). Unsynced: a value is
   * worked out again from the record when it is lost, so it need not survive a crash.
   */
  async keep(seq: number, values: ReadonlyMap<string, string>): Promise<void> {
    // After the write that lists the record, which would put its entries back to "".
    await this.settled();
    if (seq > this.through || values.size === 0 || this.format === "") return;
    const batch = this.db.batch();
    for (const [entity, value] of values) batch.put(keys.entityRecord(entity, seq), value);
    batch.put(entryValuesFormatKey, this.format);
    await batch.write();
  }

  /**
   * An entity's entries with their values, oldest first (or newest first with `reverse`), read
   * lazily: a reader may stop early.
   */
  async *entries(entity: string, options: EntitySeqsOptions = {}): AsyncGenerator<EntityEntry> {
    await this.settled();
    for await (const [key, value] of this.db.iterator(rangeOf(entity, options))) {
      yield { seq: seqFromEntityKey(key), value };
    }
  }

  /** Forgets every entry: the index lists records the log does not hold, and is built again. */
  async clear(): Promise<void> {
    await this.settled();
    await this.db.clear();
    this.through = 0;
    this.writtenThrough = 0;
  }

  async close(): Promise<void> {
    await this.settled().catch(() => {});
    await this.db.close();
    await this.reclaimer?.stop();
  }
}

function rangeOf(entity: string, options: EntitySeqsOptions) {
  const prefix = keys.entityPrefix(entity);
  return {
    gt: options.afterSeq === undefined ? prefix : prefix + padSeq(options.afterSeq),
    lt: options.beforeSeq === undefined ? prefix + "~" : prefix + padSeq(options.beforeSeq),
    reverse: options.reverse ?? false,
    limit: options.limit ?? -1,
  };
}

function openStore(location: string): Level<string, string> {
  return new Level<string, string>(location, {
    keyEncoding: "utf8",
    valueEncoding: "utf8",
    writeBufferSize: 16 * 1024 * 1024,
    // The log's writer thread lists new records through the same store.
    multithreading: true,
  });
}

/** LevelDB's open errors carry the store's own code (LEVEL_CORRUPTION, LEVEL_LOCKED…) as their cause. */
function causeCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === "string" ? cause.code : undefined;
}

function errorMessage(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
}
