import type { AnyStateMachine } from "xstate";
import { decide } from "../../machines/decide.js";
import type { EntityKind, EntityState } from "../../machines/kind.js";

type Kind<TContext, TCommand, TFact> = EntityKind<AnyStateMachine, TContext, TCommand, TFact>;

/** Given/when for any entity kind: commands in, the state and fact (or the rejection code) out. */
export function scenario<TContext, TCommand, TFact>(kind: Kind<TContext, TCommand, TFact>) {
  const when = (
    state: EntityState<TContext>,
    command: TCommand,
  ): { ok: true; state: EntityState<TContext>; fact: TFact } | { ok: false; code: string } => {
    const decision = decide(kind.machine, kind.toSnapshot(state), command as never);
    if (!decision.ok) return decision;
    const next = kind.fromSnapshot(decision.next);
    return { ok: true, state: next, fact: kind.factOf(command, state.context, next.context) };
  };
  const given = (...commands: TCommand[]): EntityState<TContext> => {
    let state = kind.initialState();
    for (const command of commands) {
      const result = when(state, command);
      if (!result.ok)
        throw new Error(
          `given: ${JSON.stringify(command, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))} was rejected with ${result.code}`,
        );
      state = result.state;
    }
    return state;
  };
  return { given, when };
}
