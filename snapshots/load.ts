import type { AnyStateMachine } from "xstate";
import type { EntityKind, EntityState } from "../machines/kind.js";
import type { Log } from "../wal/log.js";
import { keys } from "../wal/keys.js";
import { replayRecord } from "./replay.js";
import { decodeSnapshot } from "./snapshot.js";

export interface LoadedEntity<TContext> {
  state: EntityState<TContext>;
  lastSeq: number;
  /** Hash of the record at lastSeq ("" when the entity has none). */
  lastHash: string;
  /** Records replayed on top of the snapshot (or from the entity's first record). */
  replayed: number;
  fromSnapshot: boolean;
}

/**
 * Rebuilds one entity: its latest snapshot if it still matches the log, then every later record of
 * the entity replayed through the machine with the recorded facts checked.
 */
export async function loadEntity<TContext>(
  log: Log,
  kind: EntityKind<AnyStateMachine, TContext, unknown, unknown>,
  entity: string,
  entityId: string,
  options: { untilSeq?: number } = {},
): Promise<LoadedEntity<TContext>> {
  const untilSeq = Math.min(options.untilSeq ?? Number.MAX_SAFE_INTEGER, log.durableHead);
  let state = kind.initialState();
  let lastSeq = 0;
  let lastHash = "";
  let fromSnapshot = false;
  const stored = await log.get(keys.snapshot(entity));
  if (stored !== undefined) {
    const snapshot = decodeSnapshot(kind, stored);
    const anchor =
      snapshot && snapshot.atSeq <= log.durableHead ? await log.getRecord(snapshot.atSeq) : undefined;
    const anchorTouches =
      anchor !== undefined && (anchor.entity === entity || (anchor.touches ?? []).includes(entity));
    if (snapshot && anchor && anchor.hash === snapshot.hash && anchorTouches) {
      state = snapshot.state;
      lastSeq = snapshot.atSeq;
      lastHash = snapshot.hash;
      fromSnapshot = true;
    }
  }
  const seqs = await log.entitySeqs(entity, {
    ...(lastSeq > 0 ? { afterSeq: lastSeq } : {}),
    beforeSeq: untilSeq + 1,
  });
  for (const seq of seqs) {
    if (seq > untilSeq) break;
    const record = await log.getRecord(seq);
    if (!record) throw new Error(`ledger record ${seq} of ${entity} is indexed but missing`);
    state = replayRecord(kind, state, record, entityId, entity);
    lastSeq = seq;
    lastHash = record.hash;
  }
  return { state, lastSeq, lastHash, replayed: seqs.length, fromSnapshot };
}

/**
 * The state of many entities as of a checkpoint, for recovery: every entity changed up to the
 * checkpoint was snapshotted when it was taken, so a snapshot that matches the log is the state at
 * the checkpoint. Two batched reads serve them all; an entity without a usable snapshot is rebuilt
 * from its own records.
 */
export async function loadAtCheckpoint<TContext>(
  log: Log,
  kind: EntityKind<AnyStateMachine, TContext, unknown, unknown>,
  entities: ReadonlyArray<{ entity: string; entityId: string }>,
  checkpointSeq: number,
): Promise<Map<string, LoadedEntity<TContext>>> {
  const loaded = new Map<string, LoadedEntity<TContext>>();
  if (checkpointSeq === 0) {
    for (const { entity } of entities) {
      loaded.set(entity, {
        state: kind.initialState(),
        lastSeq: 0,
        lastHash: "",
        replayed: 0,
        fromSnapshot: false,
      });
    }
    return loaded;
  }
  const stored = await log.db.getMany(entities.map(({ entity }) => keys.snapshot(entity)));
  const snapshots = stored.map((text) => (text === undefined ? undefined : decodeSnapshot(kind, text)));
  const anchors = await log.hashesAt(snapshots.map((s) => (s && s.atSeq <= checkpointSeq ? s.atSeq : 0)));
  const rebuild: Array<{ entity: string; entityId: string }> = [];
  entities.forEach((target, i) => {
    const snapshot = snapshots[i];
    if (snapshot && snapshot.atSeq <= checkpointSeq && anchors[i] === snapshot.hash) {
      loaded.set(target.entity, {
        state: snapshot.state,
        lastSeq: snapshot.atSeq,
        lastHash: snapshot.hash,
        replayed: 0,
        fromSnapshot: true,
      });
    } else {
      rebuild.push(target);
    }
  });
  for (const { entity, entityId } of rebuild) {
    loaded.set(entity, await loadEntity(log, kind, entity, entityId, { untilSeq: checkpointSeq }));
  }
  return loaded;
}
