export { Log, type LogOptions, type CommitStats } from "./log.js";
export { LogIntegrityError, LogOverloadedError } from "./errors.js";
export { keys, padSeq } from "./keys.js";
export { entityIndexDir, type EntityEntry, type EntitySeqsOptions } from "./entityIndex.js";
export { encodeRecord, decodeRecord } from "./codec.js";
export {
  genesisHash,
  type CommittedRecord,
  type IndexOp,
  type LogRecord,
  type LoggedCommand,
  type LoggedFact,
  type RecordDraft,
  type RecordPart,
} from "./record.js";
