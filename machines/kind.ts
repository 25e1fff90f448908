import type { AnyStateMachine, SnapshotFrom } from "xstate";
import type { Posting } from "../domain/postings.js";

/** Where an entity's record sits: environment, merchant and the entity's own id. */
export interface RecordOwner {
  env: string;
  merchantId: string | null;
  entityId: string;
}

/** A compact, resident form of a machine's state: what the registry keeps in memory. */
export interface EntityState<TContext> {
  value: string;
  context: TContext;
}

/**
 * Everything the runtime, snapshots and replay need to know about one kind of entity.
 * All of it pure, so live commands and replay share it.
 */
export interface EntityKind<TMachine extends AnyStateMachine, TContext, TCommand, TFact> {
  name: string;
  machine: TMachine;
  version: number;
  initialState(): EntityState<TContext>;
  toSnapshot(state: EntityState<TContext>): SnapshotFrom<TMachine>;
  fromSnapshot(snapshot: SnapshotFrom<TMachine>): EntityState<TContext>;
  /**
   * Optional: decides some commands without the interpreter, exactly as the machine would (a test
   * per kind holds them equal); undefined for a command the machine must decide.
   */
  decideDirect?(
    state: EntityState<TContext>,
    command: TCommand,
  ): { ok: true; next: EntityState<TContext> } | { ok: false; code: string } | undefined;
  factOf(command: TCommand, before: TContext, after: TContext): TFact;
  /**
   * Optional: a logged fact in the form factOf gives today, for a kind whose facts changed shape
   * after records were written (replay compares with this).
   */
  currentFact?(logged: unknown): unknown;
  postingsOf(fact: TFact, owner: RecordOwner): Posting[];
  commandFromLog(logged: unknown): TCommand;
  contextToJson(context: TContext): unknown;
  contextFromJson(json: unknown): TContext;
}
