import { jsonEqual } from "../domain/jsonEqual.js";
import type { AnyStateMachine } from "xstate";
import { logsAs } from "../domain/bigintJson.js";
import { decideEntity } from "../machines/decide.js";
import type { EntityKind, EntityState } from "../machines/kind.js";
import type { CommittedRecord, LoggedCommand, RecordPart } from "../wal/record.js";

/** Replay produced something other than what the log recorded: the log or the code changed. */
export class ReplayDivergedError extends Error {
  constructor(
    readonly seq: number,
    readonly entity: string,
    message: string,
  ) {
    super(message);
    this.name = "ReplayDivergedError";
  }
}

export type AnyKind = EntityKind<AnyStateMachine, unknown, unknown, unknown>;

type Kind<TContext> = EntityKind<AnyStateMachine, TContext, unknown, unknown>;

/**
 * Feeds one logged record through an entity's machine again, with no side effects, and checks
 * that the machine accepts it and reproduces the recorded facts and postings exactly. A record
 * that changed several entities is replayed part by part, only the parts of this entity.
 */
export function replayRecord<TContext>(
  kind: Kind<TContext>,
  state: EntityState<TContext>,
  record: CommittedRecord,
  entityId: string,
  entity: string = record.entity,
): EntityState<TContext> {
  if (record.entity === entity) {
    return replayCommand(kind, state, record, entityId, record.command, 0, [0, record.postings.length]);
  }
  const parts = (record.command as { parts?: RecordPart[] }).parts ?? [];
  let next = state;
  parts.forEach((part, index) => {
    if (part.entity === entity)
      next = replayCommand(kind, next, record, entityId, part.command, index, part.postings);
  });
  return next;
}

function replayCommand<TContext>(
  kind: Kind<TContext>,
  state: EntityState<TContext>,
  record: CommittedRecord,
  entityId: string,
  logged: LoggedCommand,
  factIndex: number,
  [from, to]: [number, number],
): EntityState<TContext> {
  const command = kind.commandFromLog(logged);
  const decision = decideEntity(kind, state, command);
  const where = `ledger record ${record.seq} (${record.entity}${factIndex > 0 ? `, part ${factIndex}` : ""})`;
  if (!decision.ok) {
    throw new ReplayDivergedError(
      record.seq,
      record.entity,
      `replay of ${where} was rejected with ${decision.code}, but the log accepted it`,
    );
  }
  const next = decision.next;
  const fact = kind.factOf(command, state.context, next.context);
  const postings = kind.postingsOf(fact, { env: record.env, merchantId: record.merchantId, entityId });
  const recorded = record.facts[factIndex];
  const same =
    logsAs(fact, kind.currentFact ? kind.currentFact(recorded) : recorded) &&
    jsonEqual(postings, record.postings.slice(from, to));
  if (!same) {
    throw new ReplayDivergedError(
      record.seq,
      record.entity,
      `replay of ${where} produced different facts or postings than the log holds`,
    );
  }
  return next;
}
