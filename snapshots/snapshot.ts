import { hash as digest } from "node:crypto";
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
  /**
   * SHA-256 of the snapshot's JSON without this member. LevelDB does not check its blocks on reads,
   * and a snapshot is believed instead of replaying the log: a changed byte must make it unused.
   * Snapshots written before it have none and are not used (the log is replayed instead).
   */
  sum?: string;
}

const sumOf = (snapshot: Omit<StoredSnapshot, "sum">): string =>
  digest("sha256", JSON.stringify(snapshot), "hex");

/** Whether a stored snapshot's bytes are as written: "legacy" when it predates the checksum. */
export function snapshotIntegrity(parsed: StoredSnapshot): "intact" | "legacy" | "corrupt" {
  const { sum, ...rest } = parsed;
  if (sum === undefined) return "legacy";
  return sum === sumOf(rest) ? "intact" : "corrupt";
}

export function encodeSnapshot<TContext>(
  kind: EntityKind<AnyStateMachine, TContext, unknown, unknown>,
  state: EntityState<TContext>,
  atSeq: number,
  hash: string,
  opening: string,
): string {
  const snapshot: Omit<StoredSnapshot, "sum"> = {
    kind: kind.name,
    machineVersion: kind.version,
    atSeq,
    hash,
    opening,
    value: state.value,
    context: kind.contextToJson(state.context),
  };
  return JSON.stringify({ ...snapshot, sum: sumOf(snapshot) });
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
  if (snapshotIntegrity(parsed) !== "intact") return undefined;
  return {
    state: { value: parsed.value, context: kind.contextFromJson(parsed.context) },
    atSeq: parsed.atSeq,
    hash: parsed.hash,
    opening: parsed.opening ?? null,
  };
}
