import { createActor, type AnyActorScope, type AnyStateMachine, type SnapshotFrom } from "xstate";

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
