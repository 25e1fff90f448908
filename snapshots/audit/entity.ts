import { toLoggable } from "../../domain/bigintJson.js";
import type { EntityState } from "../../machines/kind.js";
import { keys } from "../../wal/keys.js";
import type { CommittedRecord, LoggedCommand, LoggedFact } from "../../wal/record.js";
import { replayRecord, type AnyKind } from "../replay.js";
import { decodeSnapshot } from "../snapshot.js";
import type { AsOfPoint } from "./asOf.js";
import { AuditIntegrityError } from "./findings.js";
import { kindOfEntity } from "./kinds.js";
import type { AuditLedger } from "./ledger.js";

export interface EntityReport {
  entity: string;
  /** The machine that replays it, or null for entities without one (their history is listed instead). */
  kind: string | null;
  asOf: AsOfPoint;
  /** The entity's last record at or before the as-of point (0: none). */
  lastSeq: number;
  source: "snapshot" | "genesis";
  snapshotAtSeq: number | null;
  replayedRecords: number;
  /** Replayed state, as logged JSON (amounts as digit strings). */
  state: { value: string; context: unknown } | null;
  history: Array<{ seq: number; at: number; command: LoggedCommand; facts: LoggedFact[] }> | null;
}

export const concerns = (record: CommittedRecord, entity: string) =>
  record.entity === entity || (record.touches ?? []).includes(entity);

/** The snapshot of `entity` when it may stand in for replaying up to its atSeq: version, record and hash match. */
async function usableSnapshot(
  ledger: AuditLedger,
  kind: AnyKind,
  entity: string,
  asOfSeq: number,
): Promise<{ state: EntityState<unknown>; atSeq: number } | undefined> {
  const stored = await ledger.get(keys.snapshot(entity));
  if (stored === undefined) return undefined;
  const snapshot = decodeSnapshot(kind, stored);
  if (!snapshot || snapshot.atSeq > asOfSeq || snapshot.atSeq <= 0) return undefined;
  const anchor = await ledger.record(snapshot.atSeq);
  if (!anchor || anchor.hash !== snapshot.hash || !concerns(anchor, entity)) return undefined;
  return snapshot;
}

/** The entity's records after `afterSeq` up to the point, through its index, each checked to name it. */
async function* entityRecords(
  ledger: AuditLedger,
  entity: string,
  afterSeq: number,
  toSeq: number,
): AsyncGenerator<CommittedRecord> {
  for (const seq of await ledger.entitySeqs(entity, { afterSeq, toSeq })) {
    const record = await ledger.record(seq);
    if (!record || !concerns(record, entity)) {
      throw new AuditIntegrityError({
        seq,
        check: "entity_index",
        message: `the index of ${entity} lists record ${seq}, which ${record ? "does not name it" : "is missing"}`,
        entity,
      });
    }
    yield record;
  }
}

/**
 * One entity as of a point: replayed from genesis, or from its snapshot when the snapshot is at or
 * before the point and still matches the log (`useSnapshot`). Every replayed record must reproduce
 * its recorded facts and postings.
 */
export async function entityAsOf(
  ledger: AuditLedger,
  entity: string,
  asOf: AsOfPoint,
  options: { useSnapshot?: boolean } = {},
): Promise<EntityReport> {
  const found = kindOfEntity(entity);
  const base = { entity, asOf, lastSeq: 0, replayedRecords: 0 };
  if (!found) {
    const history: NonNullable<EntityReport["history"]> = [];
    for await (const record of entityRecords(ledger, entity, 0, asOf.seq)) {
      history.push({ seq: record.seq, at: record.at, command: record.command, facts: record.facts });
      base.lastSeq = record.seq;
    }
    return { ...base, kind: null, source: "genesis", snapshotAtSeq: null, state: null, history };
  }
  const { kind, entityId } = found;
  const snapshot =
    (options.useSnapshot ?? true) ? await usableSnapshot(ledger, kind, entity, asOf.seq) : undefined;
  let state = snapshot?.state ?? kind.initialState();
  base.lastSeq = snapshot?.atSeq ?? 0;
  for await (const record of entityRecords(ledger, entity, base.lastSeq, asOf.seq)) {
    try {
      state = replayRecord(kind, state, record, entityId, entity);
    } catch (error) {
      throw new AuditIntegrityError({
        seq: record.seq,
        check: "replay_diverged",
        message: error instanceof Error ? error.message : String(error),
        entity,
      });
    }
    base.lastSeq = record.seq;
    base.replayedRecords += 1;
  }
  return {
    ...base,
    kind: kind.name,
    source: snapshot ? "snapshot" : "genesis",
    snapshotAtSeq: snapshot?.atSeq ?? null,
    state: { value: state.value, context: toLoggable(kind.contextToJson(state.context)) },
    history: null,
  };
}
