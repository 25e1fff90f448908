import stableStringify from "fast-json-stable-stringify";
import type { EntityState } from "../../machines/kind.js";
import type { CommittedRecord } from "../../wal/record.js";
import { replayRecord, type AnyKind } from "../replay.js";
import { decodeSnapshot, type StoredSnapshot } from "../snapshot.js";
import { snapshotChecksumFinding, unreadableSnapshot } from "./snapshotFindings.js";
import { concerns } from "./entity.js";
import { FindingList, type Finding } from "./findings.js";
import { kindOfEntity } from "./kinds.js";
import type { AuditLedger } from "./ledger.js";
import { progressEveryRecords } from "./verify.js";

export interface SnapshotComparison {
  snapshots: number;
  matched: number;
  /** Written by another machine version or kind: a loader ignores them, so they are not compared. */
  stale: number;
  headSeq: number;
  findings: Finding[];
  findingsDropped: number;
}

interface Candidate {
  entity: string;
  entityId: string;
  kind: AnyKind;
  atSeq: number;
  hash: string;
  /** The snapshot's state, normalized through the kind (as a loader would read it). */
  expected: string;
}

const normalized = (kind: AnyKind, state: EntityState<unknown>) =>
  stableStringify({ value: state.value, context: kind.contextToJson(state.context) });

/** Reads every `s!` snapshot; sorts out the ones to compare. */
async function candidatesOf(
  ledger: AuditLedger,
  findings: FindingList,
): Promise<{ candidates: Candidate[]; total: number; stale: number }> {
  const candidates: Candidate[] = [];
  let total = 0;
  let stale = 0;
  for await (const { key, value } of ledger.range("s!", "s~")) {
    total += 1;
    const entity = key.slice(2);
    const found = kindOfEntity(entity);
    let parsed: StoredSnapshot | undefined;
    try {
      parsed = JSON.parse(value) as StoredSnapshot;
    } catch {
      parsed = undefined;
    }
    if (
      !found ||
      !parsed ||
      !Number.isInteger(parsed.atSeq) ||
      parsed.atSeq < 1 ||
      typeof parsed.hash !== "string"
    ) {
      findings.add(unreadableSnapshot(key, entity));
      continue;
    }
    const corrupt = snapshotChecksumFinding(entity, parsed);
    if (corrupt) {
      findings.add(corrupt);
      continue;
    }
    const decoded = decodeSnapshot(found.kind, value);
    if (!decoded) {
      stale += 1;
      continue;
    }
    candidates.push({
      entity,
      entityId: found.entityId,
      kind: found.kind,
      atSeq: decoded.atSeq,
      hash: decoded.hash,
      expected: normalized(found.kind, decoded.state),
    });
  }
  candidates.sort((a, b) => a.atSeq - b.atSeq);
  return { candidates, total, stale };
}

/**
 * A snapshot is a cache: each one must equal its entity replayed from genesis to the snapshot's
 * atSeq, and that record must still have the hash the snapshot names. One pass over the log
 * replays only the entities that have a snapshot.
 */
export async function compareSnapshots(
  ledger: AuditLedger,
  options: { onProgress?: (seq: number, lastSeq: number) => void } = {},
): Promise<SnapshotComparison> {
  const findings = new FindingList();
  const { candidates, total, stale } = await candidatesOf(ledger, findings);
  const headSeq = await ledger.lastStoredSeq();
  const byEntity = new Map(candidates.map((c) => [c.entity, c]));
  const states = new Map<string, EntityState<unknown>>();
  const diverged = new Set<string>();
  let matched = 0;
  let next = 0;
  const compareAt = (record: CommittedRecord) => {
    for (
      let candidate = candidates[next];
      candidate && candidate.atSeq <= record.seq;
      candidate = candidates[++next]
    ) {
      if (candidate.atSeq === record.seq && compareOne(candidate, record, states, diverged, findings))
        matched += 1;
    }
  };
  if (candidates.length > 0) {
    const toSeq = Math.min(candidates.at(-1)?.atSeq ?? 0, headSeq);
    for await (const record of ledger.records(toSeq)) {
      replayInto(record, byEntity, states, diverged, findings);
      compareAt(record);
      if (options.onProgress && record.seq % progressEveryRecords === 0)
        options.onProgress(record.seq, toSeq);
    }
  }
  for (const candidate of candidates.slice(next)) {
    findings.add({
      seq: candidate.atSeq,
      check: "snapshot_ahead_of_log",
      message: `the snapshot of ${candidate.entity} is at record ${candidate.atSeq}, past the log's end (${headSeq}): durable records were lost`,
      entity: candidate.entity,
    });
  }
  return {
    snapshots: total,
    matched,
    stale,
    headSeq,
    findings: findings.items,
    findingsDropped: findings.dropped,
  };
}

function replayInto(
  record: CommittedRecord,
  byEntity: ReadonlyMap<string, Candidate>,
  states: Map<string, EntityState<unknown>>,
  diverged: Set<string>,
  findings: FindingList,
): void {
  for (const entity of new Set([record.entity, ...(record.touches ?? [])])) {
    const candidate = byEntity.get(entity);
    if (!candidate || diverged.has(entity) || record.seq > candidate.atSeq) continue;
    const before = states.get(entity) ?? candidate.kind.initialState();
    try {
      states.set(entity, replayRecord(candidate.kind, before, record, candidate.entityId, entity));
    } catch (error) {
      diverged.add(entity);
      findings.add({
        seq: record.seq,
        check: "replay_diverged",
        message: `${error instanceof Error ? error.message : String(error)}; the snapshot of ${entity} cannot be compared`,
        entity,
      });
    }
  }
}

function compareOne(
  candidate: Candidate,
  anchor: CommittedRecord,
  states: ReadonlyMap<string, EntityState<unknown>>,
  diverged: ReadonlySet<string>,
  findings: FindingList,
): boolean {
  if (anchor.hash !== candidate.hash || !concerns(anchor, candidate.entity)) {
    findings.add({
      seq: candidate.atSeq,
      check: "snapshot_anchor_mismatch",
      message: `the snapshot of ${candidate.entity} names record ${candidate.atSeq} with another hash, or a record that does not change it`,
      entity: candidate.entity,
    });
    return false;
  }
  if (diverged.has(candidate.entity)) return false;
  const replayed = normalized(candidate.kind, states.get(candidate.entity) ?? candidate.kind.initialState());
  if (replayed === candidate.expected) return true;
  findings.add({
    seq: candidate.atSeq,
    check: "snapshot_mismatch",
    message: `the snapshot of ${candidate.entity} at record ${candidate.atSeq} differs from its replay from genesis: ${difference(replayed, candidate.expected)}`,
    entity: candidate.entity,
  });
  return false;
}

/** Names the context fields that differ, for the finding's message. */
function difference(replayed: string, snapshot: string): string {
  const a = JSON.parse(replayed) as { value: unknown; context: Record<string, unknown> };
  const b = JSON.parse(snapshot) as { value: unknown; context: Record<string, unknown> };
  const fields = new Set([...Object.keys(a.context), ...Object.keys(b.context)]);
  const differing = [...fields].filter(
    (f) => stableStringify(a.context[f] ?? null) !== stableStringify(b.context[f] ?? null),
  );
  const parts = differing.map(
    (f) =>
      `${f} replayed ${stableStringify(a.context[f] ?? null)}, snapshot ${stableStringify(b.context[f] ?? null)}`,
  );
  if (stableStringify(a.value) !== stableStringify(b.value))
    parts.unshift(`state replayed ${String(a.value)}, snapshot ${String(b.value)}`);
  return parts.join("; ");
}
