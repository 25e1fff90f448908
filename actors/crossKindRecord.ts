import { toLoggable } from "../domain/bigintJson.js";
import { assertBalanced, type Posting } from "../domain/postings.js";
import { decide } from "../machines/decide.js";
import type { EntityState } from "../machines/kind.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp, LoggedCommand, LoggedFact, RecordPart } from "../wal/record.js";
import type { CommandContext, EntityRegistry, Resident } from "./registry.js";

/**
 * One entity's share of a record that changes entities of different kinds (a payment, its invoice
 * and the customer's wallet): the registry that owns the entity, the resident (pinned by the caller),
 * and the command built from the entity's state. Built with `partOf`, which keeps the types.
 */
export interface KindPart {
  readonly entity: string;
  decide(ctx: CommandContext, meta: RecordMeta): DecidedPart | { rejected: string };
}

interface DecidedPart {
  entity: string;
  command: LoggedCommand;
  fact: LoggedFact;
  postings: Posting[];
  speculate(): void;
  commit(record: CommittedRecord): void;
  abandon(): void;
}

export interface RecordMeta {
  env: string;
  merchantId: string;
}

/** `partOf(registry, resident)(build)`: two steps, so the command type comes from the registry alone. */
export function partOf<TContext, TCommand, TFact>(
  registry: EntityRegistry<TContext, TCommand, TFact>,
  resident: Resident<TContext>,
): (build: (ctx: CommandContext, state: EntityState<TContext>) => TCommand) => KindPart {
  const kind = registry.kind;
  return (build) => ({
    entity: resident.entity,
    decide(ctx, meta) {
      const before = resident.speculative;
      const command = build(ctx, before);
      const decision = decide(kind.machine, kind.toSnapshot(before), command as never);
      if (!decision.ok) return { rejected: decision.code };
      const next = kind.fromSnapshot(decision.next);
      const fact = kind.factOf(command, before.context, next.context);
      const postings = kind.postingsOf(fact, { ...meta, entityId: resident.entityId });
      assertBalanced(postings, () => `${resident.entity} ${(command as { type: string }).type}`);
      return {
        entity: resident.entity,
        command: toLoggable(command) as LoggedCommand,
        fact: toLoggable(fact) as LoggedFact,
        postings,
        speculate() {
          resident.speculative = next;
          resident.inFlight += 1;
        },
        commit(record) {
          resident.committed = next;
          resident.lastSeq = record.seq;
          resident.lastHash = record.hash;
          resident.inFlight -= 1;
          resident.dirty = true;
        },
        abandon() {
          resident.inFlight -= 1;
          // Refused by the log (overloaded, stopped): later commands must not build on it.
          if (resident.speculative === next) resident.speculative = before;
        },
      };
    },
  });
}

export type CrossKindOutcome =
  | { ok: true; record: CommittedRecord; facts: LoggedFact[] }
  | { ok: false; part: number; entity: string; code: string };

/**
 * Decides every part in order against its entity's speculative state and appends them as one record,
 * all or nothing: one rejected part refuses the whole record and changes nothing. Call it with every
 * entity pinned; it runs synchronously up to the append, so no other command interleaves. Replay
 * takes each part back to its own entity (snapshots/replay.ts), whatever its kind.
 */
export function appendAcrossKinds(
  log: Log,
  publish: (record: CommittedRecord) => void,
  meta: RecordMeta,
  primaryEntity: string,
  plan: (ctx: CommandContext) => {
    parts: readonly KindPart[];
    command: LoggedCommand;
    ops?: IndexOp[];
    keys?: string[];
  },
): Promise<CrossKindOutcome> {
  const ctx: CommandContext = { ...meta, at: log.now(), seq: log.nextSeq };
  const { parts, command, ops = [], keys = [] } = plan(ctx);
  const entities = new Set(parts.map((p) => p.entity));
  if (entities.size !== parts.length || entities.has(primaryEntity)) {
    throw new Error(`a record's parts need distinct entities other than ${primaryEntity}`);
  }
  const decided: DecidedPart[] = [];
  for (const [index, part] of parts.entries()) {
    const outcome = part.decide(ctx, meta);
    if ("rejected" in outcome) {
      return Promise.resolve({ ok: false, part: index, entity: part.entity, code: outcome.rejected });
    }
    decided.push(outcome);
  }
  const postings: Posting[] = [];
  const logged: RecordPart[] = decided.map((d) => {
    const range: [number, number] = [postings.length, postings.length + d.postings.length];
    postings.push(...d.postings);
    return { entity: d.entity, command: d.command, postings: range };
  });
  for (const d of decided) d.speculate();
  const facts = decided.map((d) => d.fact);
  return log
    .append(
      {
        env: meta.env as "test" | "live",
        merchantId: meta.merchantId,
        entity: primaryEntity,
        command: { ...command, parts: logged },
        facts,
        postings,
        keys,
        touches: decided.map((d) => d.entity),
      },
      ctx.at,
      ops,
    )
    .then(
      (record) => {
        for (const d of decided) d.commit(record);
        publish(record);
        return { ok: true as const, record, facts };
      },
      (error: unknown) => {
        for (const d of decided) d.abandon();
        throw error;
      },
    );
}
