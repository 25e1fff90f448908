import type { Log } from "../wal/log.js";
import type { CommittedRecord } from "../wal/record.js";

/** Records indexed under an entity, newest first, only durable ones; for paged read models. */
export async function readEntityRecords(
  log: Log,
  entity: string,
  options: { limit: number; beforeSeq?: number },
): Promise<{ records: CommittedRecord[]; hasMore: boolean }> {
  const seqs = await log.entitySeqs(entity, {
    reverse: true,
    limit: options.limit + 1,
    ...(options.beforeSeq !== undefined ? { beforeSeq: options.beforeSeq } : {}),
  });
  const page = seqs.slice(0, options.limit).filter((seq) => seq <= log.durableHead);
  const records = await Promise.all(page.map((seq) => log.getRecord(seq)));
  return {
    records: records.filter((r): r is CommittedRecord => r !== undefined),
    hasMore: seqs.length > options.limit,
  };
}
