import { vi } from "vitest";
import { EntityIndex } from "../../wal/entityIndex.js";
import { WriterThread, type WriterBatch } from "../../wal/writerThread.js";

/**
 * Makes the entity index's writes land `ms` later (a busy disk): each report that entries are
 * written reaches the index that much later, until the returned spy is restored.
 */
export function slowIndexWrites(ms: number) {
  const written = EntityIndex.prototype.written;
  return vi.spyOn(EntityIndex.prototype, "written").mockImplementation(function (this: EntityIndex, seq) {
    setTimeout(() => written.call(this, seq), ms);
  });
}

/**
 * Makes every record the ledger hands its writer thread arrive there `ms` later (a busy disk), until
 * the returned spy is restored.
 */
export function slowLogWrites(ms: number) {
  const send = WriterThread.prototype.send;
  return vi.spyOn(WriterThread.prototype, "send").mockImplementation(function (
    this: WriterThread,
    batch: WriterBatch,
  ) {
    setTimeout(() => send.call(this, batch), ms);
  });
}
