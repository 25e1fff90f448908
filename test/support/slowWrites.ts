import type { Level } from "level";
import { vi } from "vitest";
import { WriterThread, type WriterBatch } from "../../wal/writerThread.js";

/**
 * Makes every batch write of a LevelDB store take `ms` longer (a busy disk), until the returned
 * spy is restored.
 */
export function slowWrites(store: Level<string, string>, ms: number) {
  const batchOf = store.batch.bind(store);
  return vi.spyOn(store, "batch").mockImplementation(() => {
    const batch = batchOf();
    const write = batch.write.bind(batch);
    batch.write = async (options?: object) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return write(options as never);
    };
    return batch;
  });
}

/**
 * Makes every batch the ledger's writer thread writes take `ms` longer (a busy disk), until the
 * returned spy is restored.
 */
export function slowLogWrites(ms: number) {
  const write = WriterThread.prototype.write;
  return vi.spyOn(WriterThread.prototype, "write").mockImplementation(async function (
    this: WriterThread,
    batch: WriterBatch,
  ) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return write.call(this, batch);
  });
}
