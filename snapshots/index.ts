export { replayRecord, ReplayDivergedError, type AnyKind } from "./replay.js";
export { encodeSnapshot, decodeSnapshot, type StoredSnapshot } from "./snapshot.js";
export { loadEntity, type LoadedEntity } from "./load.js";
