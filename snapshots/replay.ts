import stableStringify from "fast-json-stable-stringify";
import type { AnyStateMachine } from "xstate";
import { toLoggable } from "../domain/bigintJson.js";
import { decide } from "../machines/decide.js";
import type { EntityKind, EntityState } from "../machines/kind.js";
import type { CommittedRecord } from "../wal/record.js";

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

/**
 * Feeds one logged record through its entity's machine again, with no side effects, and checks
 * that the machine accepts it and reproduces the recorded facts and postings exactly.
 */
export function replayRecord<TContext>(
  kind: EntityKind<AnyStateMachine, TContext, unknown, unknown>,
  state: EntityState<TContext>,
  record: CommittedRecord,
  entityId: string,
): EntityState<TContext> {
  const command = kind.commandFromLog(record.command);
  const decision = decide(kind.machine, kind.toSnapshot(state), command as never);
  if (!decision.ok) {
    throw new ReplayDivergedError(
      record.seq,
      record.entity,
      `replay of ledger record ${record.seq} (${record.entity}) was rejected with ${decision.code}, but the log accepted it`,
    );
  }
  const next = kind.fromSnapshot(decision.next) as EntityState<TContext>;
  const fact = kind.factOf(command, state.context, next.context);
  const owner = { env: record.env, merchantId: record.merchantId, entityId };
  const postings = kind.postingsOf(fact, owner);
  const replayed = stableStringify({ facts: [toLoggable(fact)], postings });
  const recorded = stableStringify({ facts: record.facts, postings: record.postings });
  if (replayed !== recorded) {
    throw new ReplayDivergedError(
      record.seq,
      record.entity,
      `replay of ledger record ${record.seq} (${record.entity}) produced different facts or postings than the log holds`,
    );
  }
  return next;
}
