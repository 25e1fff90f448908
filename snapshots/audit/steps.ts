import type { CommittedRecord, LoggedCommand, LoggedFact, RecordPart } from "../../wal/record.js";

/**
 * One decided command inside a record, with the fact it produced and its postings [from, to).
 * A single-entity record is one step; a multi-entity record (a usage batch) is one step per part.
 */
export interface RecordStep {
  entity: string;
  command: LoggedCommand;
  fact: LoggedFact | undefined;
  from: number;
  to: number;
}

/** The record's steps, or a problem when its parts do not describe its facts and postings. */
export function stepsOf(record: CommittedRecord): { steps: RecordStep[]; problem?: string } {
  const parts = (record.command as { parts?: unknown }).parts;
  if (parts === undefined) {
    return {
      steps: [
        {
          entity: record.entity,
          command: record.command,
          fact: record.facts.length === 1 ? record.facts[0] : undefined,
          from: 0,
          to: record.postings.length,
        },
      ],
    };
  }
  const whole: RecordStep[] = [
    { entity: record.entity, command: record.command, fact: undefined, from: 0, to: record.postings.length },
  ];
  if (!Array.isArray(parts)) return { steps: whole, problem: "command.parts is not a list" };
  const list = parts as RecordPart[];
  if (list.length !== record.facts.length) {
    return {
      steps: whole,
      problem: `${list.length} parts but ${record.facts.length} facts (facts[i] belongs to parts[i])`,
    };
  }
  const steps: RecordStep[] = [];
  let next = 0;
  for (const [index, part] of list.entries()) {
    const range = part.postings;
    const valid =
      Array.isArray(range) &&
      range.length === 2 &&
      range[0] === next &&
      Number.isInteger(range[1]) &&
      range[1] >= range[0] &&
      range[1] <= record.postings.length;
    if (!valid || typeof part.entity !== "string") {
      return { steps: whole, problem: `part ${index} does not take the next postings range` };
    }
    steps.push({
      entity: part.entity,
      command: part.command,
      fact: record.facts[index],
      from: range[0],
      to: range[1],
    });
    next = range[1];
  }
  if (next !== record.postings.length) {
    return { steps: whole, problem: `postings ${next}–${record.postings.length - 1} belong to no part` };
  }
  const partEntities = [...new Set(list.map((p) => p.entity))].sort();
  const touches = [...new Set(record.touches ?? [])].sort();
  if (partEntities.join("\n") !== touches.join("\n")) {
    return { steps, problem: "the record's touches do not name exactly the entities of its parts" };
  }
  return { steps };
}
