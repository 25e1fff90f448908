import type { Level } from "level";

/** The baseline: a minimal group-commit loop over a chained LevelDB batch, synced; no hashing. */
export class RawGroupCommit {
  private pending: Array<{ key: string; value: string; resolve: () => void; reject: (e: unknown) => void }> =
    [];
  private writing = false;
  private scheduled = false;
  batches = 0;

  constructor(
    private readonly db: Level<string, string>,
    private readonly batchMax: number,
  ) {}

  put(key: string, value: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key, value, resolve, reject });
      if (!this.writing && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.write();
        });
      }
    });
  }

  private async write(): Promise<void> {
    if (this.writing || this.pending.length === 0) return;
    this.writing = true;
    const batch = this.pending.splice(0, this.batchMax);
    const chained = this.db.batch();
    for (const entry of batch) chained.put(entry.key, entry.value);
    try {
      await chained.write({ sync: true });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      throw error;
    }
    this.batches += 1;
    for (const entry of batch) entry.resolve();
    this.writing = false;
    if (this.pending.length > 0) void this.write();
  }
}
