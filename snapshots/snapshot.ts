import type { AnyStateMachine } from "xstate";
import type { EntityKind, EntityState } from "../machines/kind.js";

/**
 * A snapshot is a cache of one entity's state at a log sequence. It names the machine version and
 * the hash of the record it reflects; a loader uses it only when both still match the log.
 */
export interface StoredSnapshot {
  kind: string;
  machineVersion: number;
  atSeq: number;
  hash: string;
  /** The opening of the log it was written in (Log.openingId); absent in older snapshots. */
  opening?: string;
  value: string;
  context: unknown;
}

export function encodeSnapshot<TContext>(
  kind: EntityKind<AnyStateMachine, TContext, unknown, unknown>,
  state: EntityState<TContext>,
  atSeq: number,
  hash: string,
  opening: string,
): string {
  const snapshot: StoredSnapshot = {
    kind: kind.name,
    machineVersion: kind.version,
    atSeq,
    hash,
    opening,
    value: state.value,
    context: kind.contextToJson(state.context),
  };
  return JSON.stringify(snapshot);
}

export function decodeSnapshot<TContext>(
  kind: EntityKind<AnyStateMachine, TContext, unknown, unknown>,
  text: string,
): { state: EntityState<TContext>; atSeq: number; hash: string; opening: string | null } | undefined {
  let parsed: StoredSnapshot;
  try {
    parsed = JSON.parse(text) as StoredSnapshot;
  } catch {
    return undefined;
  }
  if (parsed.kind !== kind.name || parsed.machineVersion !== kind.version) return undefined;
  return {
    state: { value: parsed.value, context: kind.contextFromJson(parsed.context) },
    atSeq: parsed.atSeq,
    hash: parsed.hash,
    opening: parsed.opening ?? null,
  };
}
