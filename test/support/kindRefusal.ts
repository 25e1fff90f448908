import { isDeepStrictEqual } from "node:util";
import { transition, type AnyStateMachine } from "xstate";
import type { EntityKind, EntityState } from "../../machines/kind.js";
import { scenario } from "./kindGiven.js";

type Kind<TContext, TCommand, TFact> = EntityKind<AnyStateMachine, TContext, TCommand, TFact>;

/**
 * The code a command is refused with — "accepted" when it is not — after checking that the
 * machine's own next state is exactly the one it was given: a refusal changes nothing.
 */
export function refusalOf<TContext, TCommand, TFact>(kind: Kind<TContext, TCommand, TFact>) {
  const { when } = scenario(kind);
  return (state: EntityState<TContext>, command: TCommand): string => {
    const result = when(state, command);
    if (result.ok) return "accepted";
    const [next] = transition(kind.machine, kind.toSnapshot(state), command as never);
    const after = kind.fromSnapshot(next);
    if (after.value !== state.value || !isDeepStrictEqual(after.context, state.context)) {
      throw new Error(`${result.code}: the refused command changed the state`);
    }
    return result.code;
  };
}
