import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { Level } from "level";
import { limits } from "../domain/limits.js";
import { readChunkBytes } from "./chainRange.js";
import { decodeRecord, encodeUnchained } from "./codec.js";
import { startReclaimer, type FileReclaimer } from "./fileReclaimer.js";
import { EntityIndex, entitiesOf, type EntityEntry, type EntitySeqsOptions } from "./entityIndex.js";
import { LogIntegrityError, LogOverloadedError } from "./errors.js";
import { keys } from "./keys.js";
import { SeqWaiters } from "./seqWaiters.js";
import { integrityError, verifyLog } from "./verify.js";
import { WriterThread, type WriterBatch } from "./writerThread.js";
import {
  genesisHash,
  type CommittedRecord,
  type IndexOp,
  type LogRecord,
  type RecordDraft,
} from "./record.js";

export interface LogOptions {
  /** Called when a synced write fails: the process must stop (fail-stop); restart replays. */
  onFatal?: (error: unknown) => void;
  /** Records per synced batch. */
  batchRecordsMax?: number;
  /** Records waiting for a batch before appends are refused. */
  queueRecordsMax?: number;
  /** Progress callback while verifying on open. */
  onVerifyProgress?: (seq: number) => void;
  /**
   * Return from open before the chain is verified; `verified` settles when it is. Appends are
   * refused until then. The runtime recovers its actors meanwhile, on another core.
   */
  deferVerification?: boolean;
  /** Logs at least this long are verified by worker threads (see verify.ts). */
  parallelVerifyMinRecords?: number;
  /**
   * Names the format of the values the owner keeps beside index entries (keepEntryValues). An index
   * holding values of another format is built again on open; one holding none is kept.
   */
  entryValuesFormat?: string;
}

interface PendingAppend {
  seq: number;
  /** The canonical body with an empty prevHash, filled in at `split` by the writer thread. */
  canonical: string;
  split: number;
  ops: readonly IndexOp[];
  record: CommittedRecord;
  resolve: (record: CommittedRecord) => void;
  reject: (error: unknown) => void;
}

export interface CommitStats {
  batches: number;
  records: number;
  lastBatchRecords: number;
  lastBatchMs: number;
}

/** Told of every synced batch: how many records it held and how long the write took. */
export type BatchListener = (records: number, ms: number) => void;

const defaultFatal = (error: unknown): void => {
  console.error("fatal: the ledger could not be written; stopping so that restart can replay", error);
  process.exit(70);
};

/** Ledgers open in this process, by absolute path. */
const openLocations = new Set<string>();

/** Records read per step when scanning the log (verification reads its own, chainRange.js). */
const readChunkRecords = 1_000;
/** Records read at once for their header lines (hashesAt): bounds memory when they are large. */
const hashReadChunkRecords = 64;

/** A record's SHA-256 in hex, as the writer thread reports them, one after another. */
const hashHexChars = 64;

/** Records, or characters of canonical JSON, sent at once rather than at the end of the event-loop turn. */
const eagerBatchRecords = 256;
const eagerBatchChars = 256 * 1024;

/** While indexing the log on open, records handed to the entity index before waiting for it. */
const catchUpChunkRecords = 10_000;

/** Entity index keys written into the ledger's own store by earlier versions. */
const legacyIndexRange = { gte: "e!", lt: "e~" } as const;

/**
 * The write-ahead log, which is the ledger. Appends get their sequence and time at once (so callers
 * can refer to them), and resolve only after the batch holding them is synced, with their hash.
 * Group commit: whatever arrives while a batch is being written goes into the next one. The main
 * thread writes each record's canonical body; a writer thread chains, hashes and writes the batch.
 */
export class Log {
  private lastSeq = 0;
  private lastAt = 0;
  private durableSeq = 0;
  private durableHash = genesisHash;
  private durableAt = 0;
  private writer: WriterThread | null = null;
  private pending: PendingAppend[] = [];
  /** Records sent to the writer thread and not yet durable, oldest first. */
  private sent: PendingAppend[] = [];
  /** Characters of canonical JSON pending (not yet sent). */
  private pendingChars = 0;
  private scheduled = false;
  private failed: unknown = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly batchRecordsMax: number;
  private readonly queueRecordsMax: number;
  private readonly onFatal: (error: unknown) => void;
  /** flush() callers, each waiting for the records appended before it asked to be durable. */
  private readonly flushWaiters = new SeqWaiters();
  private readonly batchListeners = new Set<BatchListener>();
  /**
   * Settles when the whole chain has been verified and the entity index lists every record;
   * rejects with the LogIntegrityError.
   */
  verified: Promise<void> = Promise.resolve();
  /** What opening did to the entity index: records it listed, and why it was built anew, if it was. */
  readonly indexRepair: { listedRecords: number; rebuilt: string | null } = {
    listedRecords: 0,
    rebuilt: null,
  };
  /** Settles when the entity index has caught up with the log read on open. */
  private indexCaughtUp: Promise<void> = Promise.resolve();
  /** Appends wait for a verified chain: nothing is written after a record that fails. */
  private verification: "pending" | "done" | { failed: unknown } = "pending";
  private reclaimer: FileReclaimer | null = null;
  private readonly stopVerifying = new AbortController();
  readonly stats: CommitStats = { batches: 0, records: 0, lastBatchRecords: 0, lastBatchMs: 0 };
  /**
   * Names this opening of the log. Whatever this process derives from records it appended or
   * verified since opening (a snapshot) may carry it, and be trusted while the log stays open.
   */
  readonly openingId = randomUUID();

  private constructor(
    readonly db: Level<string, string>,
    private readonly index: EntityIndex,
    options: LogOptions,
  ) {
    this.batchRecordsMax = options.batchRecordsMax ?? limits.commitBatchRecordsMax;
    this.queueRecordsMax = options.queueRecordsMax ?? limits.commitQueueRecordsMax;
    this.onFatal = options.onFatal ?? defaultFatal;
  }

  /**
   * Opens the store and verifies the whole log (unless deferred: then `verified`); throws
   * LogIntegrityError naming the bad sequence.
   */
  static async open(dir: string, options: LogOptions = {}): Promise<Log> {
    // The store allows other threads in (verification workers), so LevelDB's own lock no longer
    // keeps a second Log of this process off the same ledger; this does.
    const location = resolve(dir);
    if (openLocations.has(location)) throw new Error(`the ledger at ${dir} is already open in this process`);
    openLocations.add(location);
    const db = new Level<string, string>(dir, {
      keyEncoding: "utf8",
      valueEncoding: "utf8",
      // Large memtables and files: fewer flushes and compactions under batch ingest (measured in bench/).
      writeBufferSize: 64 * 1024 * 1024,
      maxFileSize: 32 * 1024 * 1024,
      cacheSize: 64 * 1024 * 1024,
      // Verification workers open the same store.
      multithreading: true,
    });
    db.once("closed", () => openLocations.delete(location));
    try {
      await db.open();
    } catch (error) {
      openLocations.delete(location);
      throw error;
    }
    const reclaimer = await startReclaimer(dir);
    let index: EntityIndex;
    try {
      // A failed index write stops the process like a failed ledger write: restart rebuilds it.
      index = await EntityIndex.open(
        dir,
        (error) => (options.onFatal ?? defaultFatal)(error),
        options.entryValuesFormat,
      );
    } catch (error) {
      await db.close();
      await reclaimer?.stop();
      throw error;
    }
    const log = new Log(db, index, options);
    log.reclaimer = reclaimer;
    let writerStarted: Promise<unknown> = Promise.resolve();
    try {
      await log.readHead();
      // The writer thread starts while the chain is verified; appends wait for both.
      writerStarted = WriterThread.start({
        location: dir,
        prevHash: log.durableHash,
        indexLocation: index.location,
        indexFormat: index.format,
        onWritten: (throughSeq, hashes, ms) => log.written(throughSeq, hashes, ms),
        onWriteFailure: (error) => log.fail(error),
        onIndexed: (seq) => index.written(seq),
        onIndexFailure: (error) => index.writeFailed(error),
      }).then((writer) => (log.writer = writer));
      log.indexCaughtUp = log.catchUpIndex();
      log.indexCaughtUp.catch(() => {});
      log.verified = log.prepare(dir, options, writerStarted);
      if (options.deferVerification) log.verified.catch(() => {});
      else await log.verified;
    } catch (error) {
      await writerStarted.catch(() => {});
      await log.writer?.stop();
      await index.close();
      await db.close();
      await reclaimer?.stop();
      throw error;
    }
    return log;
  }

  /** The last record, read first: its sequence bounds verification, its hash is the head. */
  private async readHead(): Promise<void> {
    const [last] = await this.db
      .iterator({ gte: keys.record(1), lt: keys.recordPrefixEnd, reverse: true, limit: 1 })
      .all();
    if (!last) return;
    const [key, value] = last;
    const seq = Number(key.slice(2));
    const decoded = decodeRecord(value);
    if (!decoded.ok) throw integrityError({ seq, problem: decoded.reason });
    this.lastSeq = seq;
    this.durableSeq = seq;
    this.durableHash = decoded.record.hash;
    this.lastAt = decoded.record.at;
    this.durableAt = decoded.record.at;
  }

  /** Verifies the chain while the entity index catches up; appends wait for both, and the writer. */
  private async prepare(dir: string, options: LogOptions, writerStarted: Promise<unknown>): Promise<void> {
    const settled = await Promise.allSettled([
      this.verifyChain(dir, options),
      this.indexCaughtUp,
      writerStarted,
    ]);
    const failure = settled.find(
      (outcome): outcome is PromiseRejectedResult => outcome.status === "rejected",
    );
    if (failure) {
      this.verification = { failed: failure.reason };
      throw failure.reason;
    }
    this.verification = "done";
  }

  private async verifyChain(dir: string, options: LogOptions): Promise<void> {
    const lastHash = await verifyLog(this.db, dir, this.lastSeq, {
      ...(options.parallelVerifyMinRecords === undefined
        ? {}
        : { parallelMinRecords: options.parallelVerifyMinRecords }),
      ...(options.onVerifyProgress ? { onProgress: options.onVerifyProgress } : {}),
      signal: this.stopVerifying.signal,
    });
    if (lastHash !== this.durableHash) throw integrityError({ seq: this.lastSeq, problem: "broken_chain" });
  }

  /**
   * Lists the records the entity index lacks (those written after its last write landed), after
   * building it again when it lists records beyond the log's head. An index kept by an earlier
   * version in the ledger's own store is replaced by this one.
   */
  private async catchUpIndex(): Promise<void> {
    const index = this.index;
    if (index.discarded !== null) this.indexRepair.rebuilt = `it could not be opened (${index.discarded})`;
    if (index.indexedThrough > this.lastSeq) {
      // The index is written only after its records are durable: the ledger lost records it had
      // acknowledged. Serving on would answer retries from stored responses for records that are
      // gone and reuse their sequence numbers. (Backups leave the index out, so a restore is not this.)
      throw new LogIntegrityError(
        this.lastSeq + 1,
        "index_ahead_of_log",
        `the entity index lists ledger records up to ${index.indexedThrough}, but the ledger ends at ${this.lastSeq}: records ${this.lastSeq + 1}–${index.indexedThrough} were durable and are lost. Restore the ledger from a backup; only if this older ledger is the one to serve, delete ${index.location} (it is built again from the ledger) and start again`,
      );
    } else if (index.storedFormat !== "" && index.format !== "" && index.storedFormat !== index.format) {
      this.indexRepair.rebuilt = `its values were in format "${index.storedFormat}", not "${index.format}"`;
      await index.clear();
    }
    const [legacy] = await this.db.keys({ ...legacyIndexRange, limit: 1 }).all();
    if (legacy !== undefined && index.indexedThrough === 0)
      this.indexRepair.rebuilt = "it was kept in the ledger's own store";
    let sinceWait = 0;
    for await (const record of this.scan(index.indexedThrough + 1, this.lastSeq)) {
      if (this.stopVerifying.signal.aborted) return;
      index.add(record);
      this.indexRepair.listedRecords += 1;
      if (++sinceWait === catchUpChunkRecords) {
        sinceWait = 0;
        await index.settled();
      }
    }
    await index.settled();
    if (legacy !== undefined) await this.db.clear(legacyIndexRange);
  }

  /** Reads records in sequence order from `fromSeq`, checking each record's checksum. */
  async *scan(fromSeq: number, toSeq?: number): AsyncGenerator<CommittedRecord> {
    const iterator = this.db.iterator({
      gte: keys.record(fromSeq),
      lt: toSeq === undefined ? keys.recordPrefixEnd : keys.record(toSeq + 1),
      highWaterMarkBytes: readChunkBytes,
    });
    let next = iterator.nextv(readChunkRecords);
    try {
      for (;;) {
        const entries = await next;
        if (entries.length === 0) break;
        next = iterator.nextv(readChunkRecords);
        for (const [key, value] of entries) {
          const seq = Number(key.slice(2));
          const decoded = decodeRecord(value);
          if (!decoded.ok) throw integrityError({ seq, problem: decoded.reason });
          if (decoded.record.seq !== seq) {
            throw new LogIntegrityError(
              seq,
              "sequence_mismatch",
              `ledger record stored at ${seq} says ${decoded.record.seq}`,
            );
          }
          yield decoded.record;
        }
      }
    } finally {
      // A chunk still being read when we stop early (a bad record, a reader that breaks off).
      await next.catch(() => []);
      await iterator.close();
    }
  }

  /** The last durable record (the hash of a record is known once it is written). */
  get head(): { seq: number; hash: string; at: number } {
    return { seq: this.durableSeq, hash: this.durableHash, at: this.durableAt };
  }

  /** The highest sequence known to be on disk. */
  get durableHead(): number {
    return this.durableSeq;
  }

  /** Durable records the entity index does not list yet (it is written after them). */
  get indexLagRecords(): number {
    return Math.max(0, this.durableSeq - this.index.writtenThroughSeq);
  }

  /**
   * Whether an append now would be accepted. Actors ask before deciding, so a command refused for
   * capacity never changes the state later commands are decided on.
   */
  hasRoom(): boolean {
    return this.failed === null && !this.closed && this.queuedRecords < this.queueRecordsMax;
  }

  /** Records appended and not yet durable. */
  get queuedRecords(): number {
    return this.pending.length + this.sent.length;
  }

  /** Ledger time for the next record: wall-clock time, but never earlier than the last record. */
  now(): number {
    const wall = Date.now();
    return wall > this.lastAt ? wall : this.lastAt;
  }

  /** The sequence the next append will get (callers build responses that name it). */
  get nextSeq(): number {
    return this.lastSeq + 1;
  }

  /**
   * Appends one record with the index entries that must be durable with it.
   * `at` must come from now() in the same synchronous step.
   */
  append(draft: RecordDraft, at: number, ops: readonly IndexOp[] = []): Promise<CommittedRecord> {
    if (this.failed !== null)
      return Promise.reject(new Error("the ledger has stopped after a write failure"));
    if (this.closed) return Promise.reject(new Error("the ledger is closed"));
    if (this.verification !== "done") return Promise.reject(this.unverifiedError());
    if (this.queuedRecords >= this.queueRecordsMax) return Promise.reject(new LogOverloadedError());
    if (at < this.lastAt) throw new Error(`ledger time went back: ${at} < ${this.lastAt}`);
    const seq = this.lastSeq + 1;
    // Built in sorted key order, so canonical encoding finds nothing to sort. Its prevHash and hash
    // are filled in when the batch is written.
    const body: LogRecord = {
      at,
      command: draft.command,
      entity: draft.entity,
      env: draft.env,
      facts: draft.facts,
      keys: draft.keys,
      merchantId: draft.merchantId,
      postings: draft.postings,
      prevHash: "",
      seq,
      ...(draft.touches === undefined ? {} : { touches: draft.touches }),
    };
    const { canonical, split } = encodeUnchained(body);
    const record = body as CommittedRecord;
    this.lastSeq = seq;
    this.lastAt = at;
    return new Promise<CommittedRecord>((resolve, reject) => {
      this.pending.push({ seq, canonical, split, ops, record, resolve, reject });
      this.pendingChars += canonical.length;
      this.schedule();
    });
  }

  private unverifiedError(): Error {
    return this.verification === "pending"
      ? new Error("the ledger is still being verified")
      : new Error("the ledger could not be verified; it takes no appends");
  }

  private schedule(): void {
    if (this.pending.length >= eagerBatchRecords || this.pendingChars >= eagerBatchChars) {
      // Enough to send now: the writer thread hashes it while this thread goes on deciding.
      this.send();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets every append made in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  /** Hands what is pending to the writer thread, which commits whatever arrives during a write next. */
  private send(): void {
    if (this.pending.length === 0 || this.failed !== null) return;
    if (this.writer === null) {
      this.fail(new Error("the ledger's writer thread is not running"));
      return;
    }
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.batchRecordsMax);
      for (const entry of batch) this.sent.push(entry);
      this.writer.send(writerBatch(batch));
      // The writer has its own copy: let this one die young rather than be copied by the scavenger
      // while the write is in flight.
      for (const entry of batch) entry.canonical = "";
    }
    this.pendingChars = 0;
  }

  /** The writer thread synced every record through `throughSeq`: `hashes` are theirs, in order. */
  private written(throughSeq: number, hashes: string, ms: number): void {
    const count = hashes.length / hashHexChars;
    const first = this.sent[0];
    if (first === undefined || this.sent.length < count || first.seq + count - 1 !== throughSeq) {
      this.fail(new Error(`the ledger's writer thread reported records through ${throughSeq} out of turn`));
      return;
    }
    const batch = this.sent.splice(0, count);
    let prevHash = this.durableHash;
    for (let i = 0; i < count; i++) {
      const record = (batch[i] as PendingAppend).record;
      record.prevHash = prevHash;
      record.hash = hashes.slice(hashHexChars * i, hashHexChars * (i + 1));
      prevHash = record.hash;
    }
    const last = batch[count - 1] as PendingAppend;
    this.durableHash = prevHash;
    this.durableAt = last.record.at;
    this.durableSeq = last.seq;
    this.stats.batches += 1;
    this.stats.records += count;
    this.stats.lastBatchRecords = count;
    this.stats.lastBatchMs = ms;
    // Handed over before anyone hears of the records: a reader who saw an append resolve waits for
    // the writer thread to list it.
    this.index.handOver(last.seq);
    for (const listener of this.batchListeners) listener(count, ms);
    for (const entry of batch) entry.resolve(entry.record);
    this.flushWaiters.wake(this.durableSeq);
  }

  /** A write failed: nothing after it will be written, and the process must stop. */
  private fail(error: unknown): void {
    if (this.failed !== null) return;
    this.failed = error;
    for (const entry of [...this.sent, ...this.pending]) entry.reject(error);
    this.sent = [];
    this.pending = [];
    this.pendingChars = 0;
    // Nothing more becomes durable: flush() callers are let go (the process is stopping).
    this.flushWaiters.wake(this.durableSeq, true);
    this.onFatal(error);
  }

  /** Observes synced batches (metrics); returns the unsubscribe. */
  onBatch(listener: BatchListener): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  /**
   * Resolves when everything appended so far is durable. Only that: appends arriving meanwhile do
   * not hold it (under steady load the log is never idle).
   */
  flush(): Promise<void> {
    const throughSeq = this.lastSeq;
    if (this.durableSeq >= throughSeq || this.failed !== null) return Promise.resolve();
    return this.flushWaiters.until(throughSeq);
  }

  /**
   * The hashes of records, read from their header lines without decoding them: for checking that
   * snapshots still match the log (whose chain was verified on open).
   */
  async hashesAt(seqs: readonly number[]): Promise<Array<string | undefined>> {
    // Each distinct record is read once, a few at a time: many wallets name one usage batch, and a
    // batch is half a megabyte that only its first line is wanted from.
    const distinct = [...new Set(seqs)];
    const hashes = new Map<number, string | undefined>();
    for (let start = 0; start < distinct.length; start += hashReadChunkRecords) {
      const chunk = distinct.slice(start, start + hashReadChunkRecords);
      const values = await this.db.getMany(chunk.map((seq) => keys.record(seq)));
      chunk.forEach((seq, i) => hashes.set(seq, values[i]?.slice(0, 64)));
    }
    return seqs.map((seq) => hashes.get(seq));
  }

  async getRecord(seq: number): Promise<CommittedRecord | undefined> {
    const value = await this.db.get(keys.record(seq));
    if (value === undefined) return undefined;
    const decoded = decodeRecord(value);
    if (!decoded.ok) throw integrityError({ seq, problem: decoded.reason });
    return decoded.record;
  }

  /** Sequences of an entity's records after `afterSeq`, oldest first (or newest first with `reverse`). */
  async entitySeqs(entity: string, options: EntitySeqsOptions = {}): Promise<number[]> {
    await this.indexCaughtUp;
    return this.index.seqs(entity, options);
  }

  /**
   * An entity's index entries, with any value kept beside them (keepEntryValues), read lazily: a
   * reader may stop early.
   */
  async *entityEntries(entity: string, options: EntitySeqsOptions = {}): AsyncGenerator<EntityEntry> {
    await this.indexCaughtUp;
    yield* this.index.entries(entity, options);
  }

  /**
   * Keeps values beside record `seq`'s index entries, by entity: what the owner worked out from the
   * record, so the next reader of those entities need not decode it. Derived and unsynced.
   */
  async keepEntryValues(seq: number, values: ReadonlyMap<string, string>): Promise<void> {
    await this.indexCaughtUp;
    await this.index.keep(seq, values);
  }

  async get(key: string): Promise<string | undefined> {
    return this.db.get(key);
  }

  /** Writes outside the ledger (snapshots, metadata): caches that are checked before use. */
  async putUnsynced(entries: ReadonlyArray<{ key: string; value: string }>): Promise<void> {
    if (entries.length === 0) return;
    await this.writeOps(
      entries.map((e) => ({ type: "put" as const, key: e.key, value: e.value })),
      { sync: false },
    );
  }

  /**
   * Writes index entries outside a ledger record (outbox bookkeeping, timers moved) in one LevelDB
   * batch. A chained batch: several times cheaper than the array form for many entries.
   */
  async writeOps(ops: readonly IndexOp[], options: { sync: boolean }): Promise<void> {
    if (ops.length === 0) return;
    const chained = this.db.batch();
    for (const op of ops) {
      if (op.type === "put") chained.put(op.key, op.value);
      else chained.del(op.key);
    }
    await chained.write({ sync: options.sync });
  }

  /** Flushes and closes both stores; a second call waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.stopVerifying.abort();
    await this.verified.catch(() => {});
    // Refuse appends first, so that the flush covers every record the log took.
    this.closed = true;
    await this.flush();
    await this.writer?.stop();
    await this.indexCaughtUp.catch(() => {});
    await this.index.close();
    await this.db.close();
    // After the store is closed, so that files it let go of while closing are freed too.
    await this.reclaimer?.stop();
  }
}

/** A batch as the writer thread takes it: the bodies, where each one's prevHash goes, index entries. */
function writerBatch(batch: readonly PendingAppend[]): WriterBatch {
  const bodies = new Array<string>(batch.length);
  const splits = new Int32Array(batch.length);
  const opCounts = new Int32Array(batch.length);
  const ops: string[] = [];
  const entityCounts = new Int32Array(batch.length);
  const entities: string[] = [];
  for (let i = 0; i < batch.length; i++) {
    const entry = batch[i] as PendingAppend;
    bodies[i] = entry.canonical;
    splits[i] = entry.split;
    opCounts[i] = entry.ops.length;
    for (const op of entry.ops) {
      if (op.type === "put") ops.push("p", op.key, op.value);
      else ops.push("d", op.key, "");
    }
    const listed = entitiesOf(entry.record);
    for (const entity of listed) entities.push(entity);
    entityCounts[i] = listed.length;
  }
  return { firstSeq: (batch[0] as PendingAppend).seq, bodies, splits, ops, opCounts, entities, entityCounts };
}
