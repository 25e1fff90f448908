import { limits } from "../domain/limits.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord } from "../wal/record.js";
import type { RecordFeed } from "./feed.js";

export interface RecordTailOptions {
  /** Records after this sequence are read. */
  afterSeq: number;
  /** Which records the reader wants (the others are skipped, not buffered). */
  accepts: (record: CommittedRecord) => boolean;
  /** Records that may arrive between two pulls; past it, held live records are dropped for the log. */
  backlogRecordsMax: number;
  /**
   * Past the backlog: returns true when the reader was cut off (the feed does, when its client is
   * not reading); otherwise the tail reads what it dropped from the log later.
   */
  onOverflow?: () => boolean;
  /** Wake an idle reader after this many skipped records, so it can note its progress. */
  progressRecords?: number;
  readRecordsMax?: number;
}

export interface TailBatch {
  /** Accepted records in sequence order; may be empty when the tail only moved past skipped ones. */
  records: CommittedRecord[];
  /** Every accepted record up to this sequence has now been returned. */
  through: number;
  /** Nothing durable is left to read: what follows arrives live. */
  caughtUp: boolean;
  /** Bumped by each rewind: a batch of an older generation was filtered before it. */
  generation: number;
}

/**
 * Durable records after a sequence, in order, without gaps or repeats: first read from the log,
 * then taken live from the feed. A live record that does not follow the last one known (a gap, or
 * records published out of order) sends the tail back to the log, which is the truth; so does a
 * rewind. Nothing past the log's durable head is ever read.
 */
export class RecordTail {
  /** Every accepted record up to here has been returned. */
  private position: number;
  /** Every accepted record in (position, knownThrough] is in `live`. */
  private knownThrough: number;
  private live: CommittedRecord[] = [];
  /** Live records are ignored until the log has been read up to its durable head. */
  private stale = true;
  private rewinds = 0;
  /** The end of the log read in progress, if any. */
  private readingTo = 0;
  private closed = false;
  /** Accepted records published since the reader last pulled: how far behind a busy reader is. */
  private unread = 0;
  private waiter: (() => void) | null = null;
  private readonly unsubscribe: () => void;
  private readonly readMax: number;

  constructor(
    private readonly log: Log,
    feed: RecordFeed,
    private readonly options: RecordTailOptions,
  ) {
    this.position = options.afterSeq;
    this.knownThrough = options.afterSeq;
    this.readMax = options.readRecordsMax ?? limits.tailReadRecordsMax;
    this.unsubscribe = feed.subscribe((record) => this.onRecord(record));
  }

  get through(): number {
    return this.position;
  }

  get generation(): number {
    return this.rewinds;
  }

  /**
   * Filters again every record after `seq` (the outbox does when an endpoint joins: records read
   * before it joined were filtered without it).
   */
  rewind(seq: number): void {
    if (seq >= Math.max(this.knownThrough, this.readingTo)) return;
    this.rewinds += 1;
    this.position = Math.min(this.position, seq);
    this.knownThrough = this.position;
    this.live = [];
    this.stale = true;
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.live = [];
    this.wake();
  }

  /** The next records, waiting until there are some; null once closed. */
  async pull(): Promise<TailBatch | null> {
    this.unread = 0;
    for (;;) {
      if (this.closed) return null;
      if (this.live.length > 0) {
        const records = this.live.splice(0, this.readMax);
        this.position = this.live.length === 0 ? this.knownThrough : lastSeq(records, this.position);
        return {
          records,
          through: this.position,
          caughtUp: !this.stale && this.live.length === 0,
          generation: this.rewinds,
        };
      }
      if (this.position < this.knownThrough) {
        this.position = this.knownThrough;
        return { records: [], through: this.position, caughtUp: !this.stale, generation: this.rewinds };
      }
      if (this.stale || this.log.durableHead > this.knownThrough) {
        const batch = await this.readLog();
        if (batch) return batch;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private async readLog(): Promise<TailBatch | null> {
    // Live records are ignored while reading: the log read covers them.
    this.stale = true;
    const generation = this.rewinds;
    const from = this.knownThrough + 1;
    const to = Math.min(this.log.durableHead, this.knownThrough + this.readMax);
    const records: CommittedRecord[] = [];
    this.readingTo = to;
    try {
      if (to >= from) {
        for await (const record of this.log.scan(from, to)) {
          if (this.options.accepts(record)) records.push(record);
        }
      }
    } finally {
      this.readingTo = 0;
    }
    if (this.closed || generation !== this.rewinds) return null;
    this.knownThrough = Math.max(to, this.knownThrough);
    this.position = this.knownThrough;
    this.stale = this.log.durableHead > this.knownThrough;
    return { records, through: this.position, caughtUp: !this.stale, generation };
  }

  private onRecord(record: CommittedRecord): void {
    if (this.closed || record.seq <= this.knownThrough) return;
    const accepted = this.options.accepts(record);
    if (accepted) this.unread += 1;
    if (this.unread > this.options.backlogRecordsMax && this.options.onOverflow?.()) return;
    if (this.stale) return;
    if (record.seq !== this.knownThrough + 1) {
      this.stale = true;
      this.wake();
      return;
    }
    this.knownThrough = record.seq;
    if (!accepted) {
      const progress = this.options.progressRecords;
      if (progress !== undefined && this.knownThrough - this.position >= progress) this.wake();
      return;
    }
    this.live.push(record);
    if (this.live.length > this.options.backlogRecordsMax) {
      this.live = [];
      this.knownThrough = this.position;
      this.stale = true;
    }
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}

function lastSeq(records: readonly CommittedRecord[], fallback: number): number {
  return records[records.length - 1]?.seq ?? fallback;
}
