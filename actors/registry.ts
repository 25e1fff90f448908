import type { AnyStateMachine } from "xstate";
import { limits } from "../domain/limits.js";
import { assertBalanced, type Posting } from "../domain/postings.js";
import { toLoggable } from "../domain/bigintJson.js";
import { decideEntity } from "../machines/decide.js";
import type { EntityKind, EntityState } from "../machines/kind.js";
import { encodeSnapshot } from "../snapshots/snapshot.js";
import { loadEntity } from "../snapshots/load.js";
import type { Log } from "../wal/log.js";
import { keys } from "../wal/keys.js";
import type { CommittedRecord, IndexOp, LoggedCommand, LoggedFact, RecordPart } from "../wal/record.js";
import { OverloadedError } from "./overloaded.js";

/** One resident entity: the state the world may see, and the state later commands are decided on. */
export class Resident<TContext> {
  /** Includes appended but not yet durable records: commands are decided against it. */
  speculative: EntityState<TContext>;
  inFlight = 0;
  dirty = false;
  /** Used since the eviction walk last passed it: the walk gives it a second chance (CLOCK). */
  recent = false;

  constructor(
    readonly entity: string,
    readonly entityId: string,
    /** Only durable records: what reads return. */
    public committed: EntityState<TContext>,
    public lastSeq: number,
    public lastHash: string,
  ) {
    this.speculative = committed;
  }
}

export interface CommandContext {
  env: string;
  merchantId: string;
  /** Ledger time and sequence of the record, known before it is appended. */
  at: number;
  seq: number;
}

export interface CommandPlan<TCommand, TContext, TFact, TResult> {
  /** Builds the command once ledger time and sequence are known (inside the actor's turn). */
  command: (ctx: CommandContext) => TCommand;
  /** Index entries to make durable with the record. */
  indexOps?: (fact: TFact, next: EntityState<TContext>, ctx: CommandContext) => IndexOp[];
  /** The caller's result, computed before the write so an idempotent response can be stored with it. */
  result: (fact: TFact, next: EntityState<TContext>, ctx: CommandContext) => TResult;
  /** Idempotency entry for the result, written in the same batch. */
  idempotency?: (result: TResult) => { scope: string; op: IndexOp };
}

export type CommandOutcome<TResult> =
  { ok: true; result: TResult; record: CommittedRecord } | { ok: false; code: string };

/** One entity's share of a multi-entity record: build its command from the entity's current state. */
export interface PartPlan<TCommand, TContext> {
  entity: string;
  entityId: string;
  build: (ctx: CommandContext, state: EntityState<TContext>) => { command: TCommand } | { rejected: string };
}

export type PartOutcome<TFact> = { ok: true; fact: TFact } | { ok: false; code: string };

/**
 * How a part's command and fact are written to the record. The default is toLoggable's sorted copy;
 * a caller that logs hundreds of parts of one shape builds them directly (see machines/walletUsageLog.ts).
 */
export interface PartLogging<TCommand, TFact> {
  command: (command: TCommand) => LoggedCommand;
  fact: (fact: TFact) => LoggedFact;
}

const loggableParts: PartLogging<unknown, unknown> = {
  command: (command) => toLoggable(command) as LoggedCommand,
  fact: (fact) => toLoggable(fact) as LoggedFact,
};

type Job<TContext> = (resident: Resident<TContext>) => void;

interface Loading<TContext> {
  mailbox: Array<Job<TContext>>;
  failed: unknown;
}

/**
 * The actors of one kind: one mailbox each, resident in memory while in use, passivated to a
 * snapshot when the resident set is full, rehydrated from snapshot + replayed tail on demand.
 */
export class EntityRegistry<TContext, TCommand, TFact> {
  private readonly residents = new Map<string, Resident<TContext>>();
  private readonly loading = new Map<string, Loading<TContext>>();
  private readonly evicting = new Map<string, Promise<void>>();
  /** Snapshots of passivated entities waiting for their write: one batch for all passivated in a turn. */
  private passivated: Array<{ key: string; value: string }> = [];
  private passivatedWritten: Promise<void> | null = null;
  private readonly residentMax: number;

  constructor(
    private readonly log: Log,
    readonly kind: EntityKind<AnyStateMachine, TContext, TCommand, TFact>,
    private readonly onCommitted: (record: CommittedRecord) => void,
    options: { residentMax?: number } = {},
  ) {
    this.residentMax = options.residentMax ?? limits.residentActorsMax;
  }

  get residentCount(): number {
    return this.residents.size;
  }

  /** The durable state of an entity (loading it if needed). */
  async read(entity: string, entityId: string): Promise<Resident<TContext>> {
    return new Promise((resolve, reject) => {
      this.dispatch(entity, entityId, (resident) => resolve(resident)).catch(reject);
    });
  }

  /**
   * Runs a command in the entity's turn: decide against the speculative state, append the record,
   * and resolve once it is durable. A rejected command writes nothing.
   */
  execute<TResult>(
    meta: { env: string; merchantId: string },
    entity: string,
    entityId: string,
    plan: CommandPlan<TCommand, TContext, TFact, TResult>,
  ): Promise<CommandOutcome<TResult>> {
    return new Promise((resolve, reject) => {
      this.dispatch(entity, entityId, (resident) => {
        this.decideAndAppend(meta, resident, plan).then(resolve, reject);
      }).catch(reject);
    });
  }

  private decideAndAppend<TResult>(
    meta: { env: string; merchantId: string },
    resident: Resident<TContext>,
    plan: CommandPlan<TCommand, TContext, TFact, TResult>,
  ): Promise<CommandOutcome<TResult>> {
    if (!this.log.hasRoom()) return Promise.reject(new OverloadedError("the commit queue is full"));
    const ctx: CommandContext = { ...meta, at: this.log.now(), seq: this.log.nextSeq };
    const command = plan.command(ctx);
    const before = resident.speculative;
    const decision = decideEntity(this.kind, before, command);
    if (!decision.ok) return Promise.resolve({ ok: false, code: decision.code });
    const next = decision.next;
    const fact = this.kind.factOf(command, before.context, next.context);
    const postings: Posting[] = this.kind.postingsOf(fact, {
      env: meta.env,
      merchantId: meta.merchantId,
      entityId: resident.entityId,
    });
    assertBalanced(postings, () => `${resident.entity} ${String((command as { type: string }).type)}`);
    const result = plan.result(fact, next, ctx);
    const ops = plan.indexOps?.(fact, next, ctx) ?? [];
    const idempotency = plan.idempotency?.(result);
    if (idempotency) ops.push(idempotency.op);
    resident.speculative = next;
    resident.inFlight += 1;
    const appended = this.log.append(
      {
        env: meta.env as "test" | "live",
        merchantId: meta.merchantId,
        entity: resident.entity,
        command: toLoggable(command) as LoggedCommand,
        facts: [toLoggable(fact) as LoggedCommand],
        postings,
        keys: idempotency ? [idempotency.scope] : [],
      },
      ctx.at,
      ops,
    );
    return appended.then(
      (record) => {
        resident.committed = next;
        resident.lastSeq = record.seq;
        resident.lastHash = record.hash;
        resident.inFlight -= 1;
        resident.dirty = true;
        this.onCommitted(record);
        return { ok: true as const, result, record };
      },
      (error: unknown) => {
        resident.inFlight -= 1;
        throw error;
      },
    );
  }

  /** Loads an entity and keeps it resident (not passivated) until unpinned. */
  pin(entity: string, entityId: string): Promise<Resident<TContext>> {
    return new Promise((resolve, reject) => {
      this.dispatch(entity, entityId, (resident) => {
        resident.inFlight += 1;
        resolve(resident);
      }).catch(reject);
    });
  }

  /** pin() without a promise for an entity already in memory (a usage batch pins hundreds); else undefined. */
  pinIfResident(entity: string): Resident<TContext> | undefined {
    const resident = this.residents.get(entity);
    if (!resident) return undefined;
    this.touch(resident);
    resident.inFlight += 1;
    return resident;
  }

  unpin(resident: Resident<TContext>): void {
    resident.inFlight -= 1;
  }

  /**
   * Decides many commands on many entities as one record (a usage batch): every part is decided in
   * order against its entity's speculative state; accepted parts are appended together and resolve
   * once durable; rejected parts change nothing. Entities must be pinned by the caller.
   */
  executeParts(
    meta: { env: string; merchantId: string },
    primaryEntity: string,
    residents: ReadonlyMap<string, Resident<TContext>>,
    parts: ReadonlyArray<PartPlan<TCommand, TContext>>,
    finish: (
      accepted: ReadonlyArray<{ index: number; fact: TFact }>,
      ctx: CommandContext,
      outcomes: ReadonlyArray<PartOutcome<TFact>>,
    ) => { ops: IndexOp[]; keys: string[]; command: LoggedCommand },
    logging: PartLogging<TCommand, TFact> = loggableParts,
  ): { outcomes: Array<PartOutcome<TFact>>; committed: Promise<CommittedRecord | null> } {
    if (!this.log.hasRoom()) throw new OverloadedError("the commit queue is full");
    const ctx: CommandContext = { ...meta, at: this.log.now(), seq: this.log.nextSeq };
    const outcomes: Array<PartOutcome<TFact>> = [];
    const accepted: Array<{ index: number; fact: TFact }> = [];
    const loggedParts: RecordPart[] = [];
    const facts: LoggedFact[] = [];
    const postings: Posting[] = [];
    const after = new Map<Resident<TContext>, EntityState<TContext>>();
    parts.forEach((part, index) => {
      const resident = residents.get(part.entity);
      if (!resident) throw new Error(`${part.entity} is not pinned`);
      const built = part.build(ctx, resident.speculative);
      if ("rejected" in built) return outcomes.push({ ok: false, code: built.rejected });
      const before = resident.speculative;
      const decision = decideEntity(this.kind, before, built.command);
      if (!decision.ok) return outcomes.push({ ok: false, code: decision.code });
      const next = decision.next;
      const fact = this.kind.factOf(built.command, before.context, next.context);
      const own = this.kind.postingsOf(fact, { ...meta, entityId: part.entityId });
      assertBalanced(own, () => `${part.entity} part ${index}`);
      loggedParts.push({
        command: logging.command(built.command),
        entity: part.entity,
        postings: [postings.length, postings.length + own.length],
      });
      postings.push(...own);
      facts.push(logging.fact(fact));
      resident.speculative = next;
      after.set(resident, next);
      accepted.push({ index, fact });
      return outcomes.push({ ok: true, fact });
    });
    if (accepted.length === 0) return { outcomes, committed: Promise.resolve(null) };
    const finished = finish(accepted, ctx, outcomes);
    for (const resident of after.keys()) resident.inFlight += 1;
    const committed = this.log
      .append(
        {
          env: meta.env as "test" | "live",
          merchantId: meta.merchantId,
          entity: primaryEntity,
          command: sortedKeys({ ...finished.command, parts: loggedParts }),
          facts,
          postings,
          keys: finished.keys,
          touches: [...new Set(loggedParts.map((p) => p.entity))],
        },
        ctx.at,
        finished.ops,
      )
      .then(
        (record) => {
          for (const [resident, state] of after) {
            resident.committed = state;
            resident.lastSeq = record.seq;
            resident.lastHash = record.hash;
            resident.inFlight -= 1;
            resident.dirty = true;
          }
          this.onCommitted(record);
          return record;
        },
        (error: unknown) => {
          for (const resident of after.keys()) resident.inFlight -= 1;
          throw error;
        },
      );
    return { outcomes, committed };
  }

  /** Puts a job in the entity's mailbox; it runs synchronously in arrival order once the entity is resident. */
  private async dispatch(entity: string, entityId: string, job: Job<TContext>): Promise<void> {
    const resident = this.residents.get(entity);
    if (resident) {
      this.touch(resident);
      job(resident);
      return;
    }
    const pending = this.loading.get(entity);
    if (pending) {
      if (pending.mailbox.length >= limits.mailboxCommandsMax) throw new OverloadedError("mailbox is full");
      pending.mailbox.push(job);
      return;
    }
    const loading: Loading<TContext> = { mailbox: [job], failed: null };
    this.loading.set(entity, loading);
    try {
      await this.evicting.get(entity);
      const loaded = await loadEntity(this.log, this.kind, entity, entityId);
      const created = new Resident(entity, entityId, loaded.state, loaded.lastSeq, loaded.lastHash);
      // Passivating it writes a snapshot the next load can take as it is.
      created.dirty = loaded.worthSnapshotting;
      this.residents.set(entity, created);
      this.loading.delete(entity);
      for (const queued of loading.mailbox) queued(created);
      this.evictIfFull();
    } catch (error) {
      this.loading.delete(entity);
      throw error;
    }
  }

  /** Makes a state rebuilt elsewhere (recovery's streaming replay) resident, to be snapshotted. */
  adopt(
    entity: string,
    entityId: string,
    state: EntityState<TContext>,
    lastSeq: number,
    lastHash: string,
  ): void {
    if (this.residents.has(entity) || this.loading.has(entity))
      throw new Error(`${entity} is already resident`);
    const resident = new Resident(entity, entityId, state, lastSeq, lastHash);
    resident.dirty = true;
    this.residents.set(entity, resident);
    this.evictIfFull();
  }

  private touch(resident: Resident<TContext>): void {
    // A mark, not a move: moving every used entity to the Map's newest end cost more than a usage
    // batch's own bookkeeping. The eviction walk moves only the marked ones it meets.
    resident.recent = true;
  }

  private evictIfFull(): void {
    if (this.residents.size <= this.residentMax) return;
    // Down to a little below the bound: one walk from the oldest end passivates many, rather than one
    // walk (past the Map's deleted slots) for each entity loaded.
    const target = this.residentMax - Math.floor(this.residentMax / 32);
    for (const resident of this.residents.values()) {
      if (this.residents.size <= target) break;
      if (resident.inFlight > 0) continue;
      if (resident.recent) {
        // Used since the walk last passed: to the newest end, met again (unmarked) only after the rest.
        resident.recent = false;
        this.residents.delete(resident.entity);
        this.residents.set(resident.entity, resident);
        continue;
      }
      this.residents.delete(resident.entity);
      if (!resident.dirty || resident.lastSeq === 0) continue;
      const { entity } = resident;
      const written = this.writeSnapshot(entity, this.snapshotOf(resident)).finally(() => {
        if (this.evicting.get(entity) === written) this.evicting.delete(entity);
      });
      this.evicting.set(entity, written);
    }
  }

  /** Writes a passivated entity's snapshot with every other passivated in this turn, in one batch. */
  private writeSnapshot(entity: string, value: string): Promise<void> {
    this.passivated.push({ key: keys.snapshot(entity), value });
    this.passivatedWritten ??= new Promise((resolve) => setImmediate(resolve)).then(() => {
      const batch = this.passivated;
      this.passivated = [];
      this.passivatedWritten = null;
      return this.log.putUnsynced(batch);
    });
    return this.passivatedWritten;
  }

  /**
   * Snapshots every changed resident entity (a cache; the log stays the truth), in chunks that
   * yield to the event loop so requests keep being served meanwhile.
   */
  async snapshotDirty(): Promise<number> {
    const dirty = [...this.residents.values()].filter((r) => r.dirty && r.lastSeq > 0);
    for (let start = 0; start < dirty.length; start += snapshotChunkEntities) {
      const chunk = dirty.slice(start, start + snapshotChunkEntities).map((resident) => {
        resident.dirty = false;
        return {
          key: keys.snapshot(resident.entity),
          value: this.snapshotOf(resident),
        };
      });
      await this.log.putUnsynced(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(this.evicting.values());
    return dirty.length;
  }

  private snapshotOf(resident: Resident<TContext>): string {
    const { committed, lastSeq, lastHash } = resident;
    return encodeSnapshot(this.kind, committed, lastSeq, lastHash, this.log.openingId);
  }
}

const snapshotChunkEntities = 1_000;

/** The same object with its own keys in sorted order, as the log's canonical JSON writes them. */
function sortedKeys<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : 1))) as T;
}
