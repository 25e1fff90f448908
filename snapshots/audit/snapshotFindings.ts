import { snapshotIntegrity, type StoredSnapshot } from "../snapshot.js";
import type { Finding } from "./findings.js";

/** A stored snapshot that is not JSON, or lacks what a snapshot has. */
export function unreadableSnapshot(key: string, entity: string): Finding {
  return { seq: null, check: "snapshot_unreadable", message: `snapshot ${key} cannot be read`, entity };
}

/** The finding for a snapshot whose bytes no longer match its checksum; undefined when they do. */
export function snapshotChecksumFinding(entity: string, parsed: StoredSnapshot): Finding | undefined {
  if (snapshotIntegrity(parsed) !== "corrupt") return undefined;
  return {
    seq: Number.isInteger(parsed.atSeq) ? parsed.atSeq : null,
    check: "snapshot_checksum",
    message: `the snapshot of ${entity} fails its checksum: its bytes were changed (the server does not use it)`,
    entity,
  };
}
