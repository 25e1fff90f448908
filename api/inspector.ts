import Router from "@koa/router";
import type { Context } from "koa";
import { createActor, type AnyStateMachine, type AnyStateNode, type InspectionEvent } from "xstate";
import { adminTokenMatches, type CommittedRecord, type Runtime } from "../actors/index.js";
import { toLoggable } from "../domain/bigintJson.js";
import { DomainError } from "../domain/errors.js";
import { invoiceKind, paymentKind, purchaseKind, subscriptionKind, walletKind } from "../machines/index.js";
import { replayRecord, type AnyKind } from "../snapshots/index.js";
import { merchantOf } from "./auth.js";
import { renderInspectorPage } from "./inspectorPage.js";

/** The inspector replays at most this many records of one entity per request. */
export const inspectorReplayRecordsMax = 20_000;
/** The newest transitions returned; earlier ones are replayed but left out. */
export const inspectorTransitionsMax = 200;
const seqPageRecordsMax = 1_000;

/** Live keys see real customers' state: the admin token must come along in this header. */
export const inspectorAdminHeader = "X-Admin-Token";

const kinds: Record<string, AnyKind> = {
  wallet: walletKind as AnyKind,
  payment: paymentKind as AnyKind,
  invoice: invoiceKind as AnyKind,
  subscription: subscriptionKind as unknown as AnyKind,
  purchase: purchaseKind as unknown as AnyKind,
};

const entityPattern = /^(wallet|payment|invoice|subscription|purchase):([A-Za-z0-9_-]{1,64})$/;

/** A guard as the chart shows it: its name, or not(…)/and(…)/or(…) for xstate's combinators. */
function guardName(guard: unknown, depth = 0): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === "string") return guard;
  if (depth > 8) throw new Error("guards nest deeper than the inspector shows");
  const combinator = guard as { check?: { name?: string }; guards?: unknown[]; type?: unknown };
  if (typeof combinator.type === "string") return combinator.type;
  const inner = (combinator.guards ?? []).map((g) => guardName(g, depth + 1) ?? "?").join(", ");
  const name = combinator.check?.name?.replace(/^check/, "").toLowerCase() || "guard";
  return `${name}(${inner})`;
}

const actionName = (action: unknown): string => {
  if (typeof action === "string") return action;
  const { type, params } = action as { type?: unknown; params?: { code?: unknown } };
  const code = typeof params?.code === "string" ? params.code : undefined;
  return `${typeof type === "string" ? type : "action"}${code ? `(${code})` : ""}`;
};

/**
 * The machine's definition as plain JSON, read from xstate's own state nodes: every state with
 * its transitions in the order xstate tries them (event, guard, targets, actions).
 */
export function machineChart(machine: AnyStateMachine) {
  const states = [];
  const pending: AnyStateNode[] = [machine.root];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    const transitions = [...node.transitions.entries()].flatMap(([eventType, list]) =>
      list.map((t) => ({
        event: eventType,
        guard: guardName(t.guard),
        targets: (t.target ?? []).map((target) => target.id),
        actions: t.actions.map(actionName),
      })),
    );
    const children = Object.values(node.states);
    states.push({
      id: node.id,
      key: node.key,
      parent: node.parent?.id ?? null,
      type: node.type,
      initial: (node.initial?.target ?? []).map((target) => target.id),
      children: children.map((child) => child.id),
      transitions,
    });
    pending.push(...children.reverse());
  }
  return { id: machine.id, root: machine.root.id, states };
}

/** One accepted command of the entity, as the log holds it and as the machine took it. */
interface InspectedTransition {
  seq: number;
  at: string;
  /** Index of this entity's part in a record that changed several entities (null: its own record). */
  part: number | null;
  command: unknown;
  fact: unknown;
  postings: unknown[];
  from: string;
  to: string;
  /** The machine's transitions taken, as xstate's inspection reported them. */
  taken: Array<{ source: string; targets: string[] }>;
}

/**
 * Feeds the entity's commands to a real xstate actor and reads what happened through xstate's own
 * `inspect` hook. The machines are pure (their actions only assign), so running them is safe.
 */
function inspectingActor(kind: AnyKind) {
  const observed: InspectionEvent[] = [];
  const actor = createActor(kind.machine, {
    snapshot: kind.toSnapshot(kind.initialState()),
    inspect: (event) => observed.push(event),
  });
  actor.start();
  return {
    send(command: unknown): { to: string; taken: InspectedTransition["taken"] } {
      observed.length = 0;
      actor.send(command as never);
      const taken = observed.flatMap((e) =>
        e.type === "@xstate.microstep"
          ? e._transitions.map((t) => ({
              source: t.source.id,
              targets: (t.target ?? []).map((target) => target.id),
            }))
          : [],
      );
      const snapshot = observed.findLast((e) => e.type === "@xstate.snapshot");
      if (snapshot?.type !== "@xstate.snapshot") throw new Error("xstate reported no snapshot for a command");
      return { to: String((snapshot.snapshot as { value?: unknown }).value), taken };
    },
    stop: () => actor.stop(),
  };
}

interface LoggedPart {
  entity: string;
  command: unknown;
  postings: [number, number];
}

/** This entity's commands in one record, the way snapshots/replay.ts takes them apart. */
function commandsOf(record: CommittedRecord, entity: string) {
  if (record.entity === entity) {
    return [{ part: null, logged: record.command, factIndex: 0, range: [0, record.postings.length] }];
  }
  const parts = (record.command as { parts?: LoggedPart[] }).parts ?? [];
  return parts.flatMap((p, index) =>
    p.entity === entity ? [{ part: index, logged: p.command, factIndex: index, range: p.postings }] : [],
  );
}

/**
 * Replays the entity from its first record: replayRecord (which checks every recorded fact) keeps
 * the state, and the inspecting actor must agree with it after every command.
 */
async function replayEntity(runtime: Runtime, kind: AnyKind, entity: string, entityId: string) {
  const log = runtime.log;
  const actor = inspectingActor(kind);
  let state = kind.initialState();
  let lastSeq = 0;
  let replayed = 0;
  const transitions: InspectedTransition[] = [];
  try {
    for (;;) {
      const seqs = await log.entitySeqs(entity, {
        afterSeq: lastSeq,
        beforeSeq: log.durableHead + 1,
        limit: seqPageRecordsMax,
      });
      for (const seq of seqs) {
        replayed += 1;
        if (replayed > inspectorReplayRecordsMax) {
          throw new DomainError(
            "invalid_request",
            `${entity} has more than ${inspectorReplayRecordsMax} records; the inspector replays at most that many`,
          );
        }
        const record = await log.getRecord(seq);
        if (!record) throw new Error(`ledger record ${seq} of ${entity} is indexed but missing`);
        for (const c of commandsOf(record, entity)) {
          const from = state.value;
          const inspected = actor.send(kind.commandFromLog(c.logged));
          transitions.push({
            seq,
            at: new Date(record.at).toISOString(),
            part: c.part,
            command: c.logged,
            fact: record.facts[c.factIndex] ?? null,
            postings: record.postings.slice(c.range[0], c.range[1]),
            from,
            to: inspected.to,
            taken: inspected.taken,
          });
          if (transitions.length > inspectorTransitionsMax) transitions.shift();
        }
        state = replayRecord(kind, state, record, entityId, entity);
        const last = transitions[transitions.length - 1];
        if (last?.seq === seq && last.to !== state.value) {
          throw new Error(`record ${seq} of ${entity}: xstate reached ${last.to}, replay ${state.value}`);
        }
        lastSeq = seq;
      }
      if (seqs.length < seqPageRecordsMax) break;
    }
  } finally {
    actor.stop();
  }
  return { state, lastSeq, replayed, transitions };
}

/** Who owns the entity: its customer's records for a wallet, its own records otherwise. */
async function ownerOf(runtime: Runtime, kindName: string, entity: string, entityId: string) {
  const source = kindName === "wallet" ? `customer:${entityId}` : entity;
  const [first] = await runtime.log.entitySeqs(source, { limit: 1 });
  const record = first === undefined ? undefined : await runtime.log.getRecord(first);
  if (!record) return undefined;
  const fact = record.facts[0] as { externalId?: unknown } | undefined;
  return {
    env: record.env,
    merchantId: record.merchantId,
    customerExternalId:
      kindName === "wallet" && typeof fact?.externalId === "string" ? fact.externalId : null,
  };
}

/** Sandbox keys may inspect; a live key needs the admin token as well. */
function requireAccess(runtime: Runtime, ctx: Context) {
  const auth = merchantOf(ctx);
  if (auth.env === "live" && !adminTokenMatches(ctx.get(inspectorAdminHeader), runtime.adminTokenSha256)) {
    throw new DomainError(
      "forbidden",
      `inspecting live entities needs the admin token in the ${inspectorAdminHeader} header`,
    );
  }
  return auth;
}

async function inspectEntity(runtime: Runtime, ctx: Context, entity: string) {
  const auth = requireAccess(runtime, ctx);
  const match = entityPattern.exec(entity);
  const kindName = match?.[1] ?? "";
  const entityId = match?.[2] ?? "";
  const kind = kinds[kindName];
  if (!kind) {
    throw new DomainError(
      "invalid_request",
      "entity must be wallet:<customerId>, subscription:<id>, purchase:<id>, payment:<id> or invoice:<id>",
    );
  }
  const owner = await ownerOf(runtime, kindName, entity, entityId);
  if (!owner || owner.env !== auth.env || owner.merchantId !== auth.merchantId) {
    throw new DomainError("not_found", `no ${entity} in this environment`);
  }
  const replay = await replayEntity(runtime, kind, entity, entityId);
  return {
    object: "inspected_entity" as const,
    entity,
    kind: kind.name,
    environment: auth.env,
    customerExternalId: owner.customerExternalId,
    machine: { version: kind.version, ...machineChart(kind.machine as AnyStateMachine) },
    state: { value: replay.state.value, context: toLoggable(kind.contextToJson(replay.state.context)) },
    lastSeq: replay.lastSeq,
    recordsReplayed: replay.replayed,
    transitions: replay.transitions,
  };
}

/** The state-machine inspector: a page (public; it signs in with a key) and its JSON route. */
export function inspector(runtime: Runtime): Router {
  const router = new Router({ sensitive: true });
  router.get("/inspector", (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.type = "text/html; charset=utf-8";
    ctx.body = renderInspectorPage();
  });
  router.get("/v1/inspector/entities/:entity", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = await inspectEntity(runtime, ctx, ctx.params.entity ?? "");
  });
  return router;
}
