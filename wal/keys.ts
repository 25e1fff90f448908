/**
 * Key layout of the ledger's LevelDB store. Prefixes keep the kinds apart and sort well:
 *   l!<seq>                   log records (the ledger)
 *   e!<entity>!<seq>          per-entity index of log records, in a store of its own (entityIndex.ts);
 *                             the value is "" or what the owner keeps for that entity (keepEntryValues)
 *   i!<scope>                 idempotency entries (written with the record that consumed them)
 *   x!<name>!…                read indexes owned by the runtime, written with their record
 *   s!<entity>                snapshots (a cache, checked against the log before use)
 *   m!<name>                  metadata (checkpoint, admin token hash)
 */
const seqWidth = 16;

export function padSeq(seq: number): string {
  return seq.toString().padStart(seqWidth, "0");
}

export const keys = {
  record: (seq: number) => `l!${padSeq(seq)}`,
  recordPrefixStart: "l!",
  recordPrefixEnd: "l~",
  entityRecord: (entity: string, seq: number) => `e!${entity}!${padSeq(seq)}`,
  entityPrefix: (entity: string) => `e!${entity}!`,
  idempotency: (scope: string) => `i!${scope}`,
  snapshot: (entity: string) => `s!${entity}`,
  meta: (name: string) => `m!${name}`,
} as const;

export function seqFromEntityKey(key: string): number {
  return Number(key.slice(key.length - seqWidth));
}
