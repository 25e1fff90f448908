import type { CommittedRecord } from "../wal/record.js";

export type RecordListener = (record: CommittedRecord) => void;

/** Durable records, in sequence order, for whoever listens after commit (feed, outbox, metrics). */
export class RecordFeed {
  private readonly listeners = new Set<RecordListener>();

  publish(record: CommittedRecord): void {
    for (const listener of this.listeners) listener(record);
  }

  subscribe(listener: RecordListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
