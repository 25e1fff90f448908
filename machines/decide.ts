import { createActor, type AnyActorScope, type AnyStateMachine, type SnapshotFrom } from "xstate";
import type { EntityKind, EntityState } from "./kind.js";

/**
 * Runs one command through a machine without executing anything — what xstate's pure
 * `transition()` does, but with one inert actor scope kept per machine: `transition()` builds a
 * new actor for every call, which costs 5× the transition itself. Live commands and replay both
 * go through here.
 */
export type Decision<TSnapshot> = { ok: true; next: TSnapshot } | { ok: false; code: string };

interface InertScope {
  scope: AnyActorScope;
  actions: Array<{ type: string; params?: unknown }>;
}

const scopes = new WeakMap<AnyStateMachine, InertScope>();

function inertScopeOf(machine: AnyStateMachine): InertScope {
  const existing = scopes.get(machine);
  if (existing) return existing;
  const self = createActor(machine);
  const actions: InertScope["actions"] = [];
  const scope = {
    self,
    defer: () => {},
    id: "",
    logger: () => {},
    sessionId: "",
    stopChild: () => {},
    system: self.system,
    emit: () => {},
    actionExecutor: (action: { type: string; params?: unknown }) => {
      actions.push(action);
    },
  } as unknown as AnyActorScope;
  const created = { scope, actions };
  scopes.set(machine, created);
  return created;
}

export function decide<TMachine extends AnyStateMachine>(
  machine: TMachine,
  snapshot: SnapshotFrom<TMachine>,
  command: Parameters<TMachine["transition"]>[1],
): Decision<SnapshotFrom<TMachine>> {
  const inert = inertScopeOf(machine);
  inert.actions.length = 0;
  const next = machine.transition(snapshot, command, inert.scope) as SnapshotFrom<TMachine>;
  for (const action of inert.actions) {
    if (action.type === "reject") {
      const params = action.params as { code: string } | undefined;
      return { ok: false, code: params?.code ?? "rejected" };
    }
  }
  return { ok: true, next };
}

/**
 * Decides a command on an entity's resident state: the kind's direct decision when it has one for
 * this command, otherwise the machine. Live commands and replay both go through here.
 */
export function decideEntity<TContext, TCommand>(
  kind: EntityKind<AnyStateMachine, TContext, TCommand, unknown>,
  state: EntityState<TContext>,
  command: TCommand,
): { ok: true; next: EntityState<TContext> } | { ok: false; code: string } {
  const direct = kind.decideDirect?.(state, command);
  if (direct !== undefined) return direct;
  const decision = decide(kind.machine, kind.toSnapshot(state), command as never);
  return decision.ok ? { ok: true, next: kind.fromSnapshot(decision.next) } : decision;
}
