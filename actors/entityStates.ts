import type { AnyStateMachine } from "xstate";
import type { EntityKind, EntityState } from "../machines/kind.js";
import { replayRecord } from "../snapshots/replay.js";
import type { Log } from "../wal/log.js";

const cacheEntitiesMax = 10_000;

type Kind<TContext> = EntityKind<AnyStateMachine, TContext, unknown, unknown>;

/** An entity's state just before and just after one of its records. */
export interface StatesAround<TContext> {
  before: EntityState<TContext>;
  after: EntityState<TContext>;
}

/**
 * An entity's state as of any one of its records, folded from its own records with its pure machine
 * (as replay does), so an event built from a record reads the same whenever it is built. The last
 * state of each entity is kept: events are built mostly in ledger order, so each fold walks little.
 */
export class EntityStates {
  private readonly folded = new Map<string, { seq: number } & StatesAround<unknown>>();

  constructor(private readonly log: Log) {}

  async around<TContext>(
    kind: Kind<TContext>,
    entity: string,
    entityId: string,
    seq: number,
  ): Promise<StatesAround<TContext>> {
    const cached = this.folded.get(entity) as ({ seq: number } & StatesAround<TContext>) | undefined;
    if (cached?.seq === seq) return cached;
    const base = cached && cached.seq < seq ? cached : undefined;
    let after = base?.after ?? kind.initialState();
    let before = after;
    const seqs = await this.log.entitySeqs(entity, { afterSeq: base?.seq ?? 0, beforeSeq: seq + 1 });
    for (const earlier of seqs) {
      const record = await this.log.getRecord(earlier);
      if (!record) throw new Error(`ledger record ${earlier} of ${entity} is missing`);
      before = after;
      after = replayRecord(kind, after, record, entityId, entity);
    }
    if (seqs[seqs.length - 1] !== seq) throw new Error(`ledger record ${seq} does not change ${entity}`);
    remember(this.folded, entity, { seq, before, after });
    return { before, after };
  }
}

/** Keeps `value` as the newest entry of a bounded cache, dropping the oldest when full. */
export function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  cache.delete(key);
  if (cache.size >= cacheEntitiesMax) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, value);
}
