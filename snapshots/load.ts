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
  /**
   * Whether a fresh snapshot would save the next load work: records were replayed, or the snapshot
   * came from an earlier opening of the log and had to be checked against it.
   */
  worthSnapshotting: boolean;
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
  let checked = false;
  const stored = await log.get(keys.snapshot(entity));
  const snapshot = stored === undefined ? undefined : decodeSnapshot(kind, stored);
  // A snapshot past `untilSeq` (a wallet passivated after the checkpoint recovery starts from) holds
  // records the caller will replay itself: the entity is rebuilt from its records instead.
  if (snapshot && snapshot.atSeq <= untilSeq) {
    // A snapshot written since this log was opened reflects a record this process appended or
    // verified: trusted as it is. An older one is checked against the log first.
    checked = snapshot.opening !== log.openingId;
    if (!checked || (await anchoredAt(log, entity, snapshot.atSeq, snapshot.hash))) {
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
  return {
    state,
    lastSeq,
    lastHash,
    replayed: seqs.length,
    fromSnapshot,
    worthSnapshotting: seqs.length > 0 || (fromSnapshot && checked),
  };
}

/**
 * Whether the record at `atSeq` has this hash and changed this entity. Read from the record's header
 * and the entity index, without decoding the record: a usage batch that charged the wallet is large.
 */
async function anchoredAt(log: Log, entity: string, atSeq: number, hash: string): Promise<boolean> {
  const [recorded] = await log.hashesAt([atSeq]);
  if (recorded !== hash) return false;
  const [listed] = await log.entitySeqs(entity, { afterSeq: atSeq - 1, limit: 1 });
  return listed === atSeq;
}

/**
 * The state of many entities as of a checkpoint or later, for recovery: every entity changed up to
 * the checkpoint was snapshotted when it was taken, and one passivated since has a newer snapshot;
 * a snapshot that matches the log is the state at its `lastSeq`, and the caller replays what
 * follows. Two batched reads serve them all; an entity without a usable snapshot is rebuilt from
 * its own records up to the checkpoint.
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
        worthSnapshotting: false,
      });
    }
    return loaded;
  }
  const stored = await log.db.getMany(entities.map(({ entity }) => keys.snapshot(entity)));
  const snapshots = stored.map((text) => (text === undefined ? undefined : decodeSnapshot(kind, text)));
  const anchors = await log.hashesAt(snapshots.map((s) => (s && s.atSeq <= log.durableHead ? s.atSeq : 0)));
  const rebuild: Array<{ entity: string; entityId: string }> = [];
  entities.forEach((target, i) => {
    const snapshot = snapshots[i];
    // A snapshot newer than the checkpoint (the wallet was passivated after it) serves too: the
    // caller replays only the records after the state it returns.
    if (snapshot && snapshot.atSeq <= log.durableHead && anchors[i] === snapshot.hash) {
      loaded.set(target.entity, {
        state: snapshot.state,
        lastSeq: snapshot.atSeq,
        lastHash: snapshot.hash,
        replayed: 0,
        fromSnapshot: true,
        worthSnapshotting: false,
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
