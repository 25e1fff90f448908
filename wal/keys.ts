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
import { entityRecordKey, metaKey, padSeq, recordKey, seqWidth } from "./keyLayout.js";

export { padSeq };

export const keys = {
  record: recordKey,
  recordPrefixStart: "l!",
  recordPrefixEnd: "l~",
  entityRecord: entityRecordKey,
  entityPrefix: (entity: string) => `e!${entity}!`,
  idempotency: (scope: string) => `i!${scope}`,
  snapshot: (entity: string) => `s!${entity}`,
  meta: metaKey,
} as const;

export function seqFromEntityKey(key: string): number {
  return Number(key.slice(key.length - seqWidth));
}
