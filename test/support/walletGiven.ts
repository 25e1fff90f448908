import {
  decide,
  walletFactOf,
  walletKind,
  walletMachine,
  type WalletCommand,
  type WalletContext,
  type WalletFact,
} from "../../machines/index.js";
import type { EntityState } from "../../machines/kind.js";

type CommandInput = WalletCommand extends infer C
  ? C extends WalletCommand
    ? Omit<C, "transactionId" | "at"> & { at?: number }
    : never
  : never;

let counter = 0;

/** Stamps a command with a transaction id and a ledger time. */
export function cmd(input: CommandInput): WalletCommand {
  counter += 1;
  return { transactionId: `wtx_${counter}`, at: 1_000, ...input } as WalletCommand;
}

/** Given these commands (all must be accepted), the wallet's state. */
export function given(...commands: WalletCommand[]): EntityState<WalletContext> {
  let state = walletKind.initialState();
  for (const command of commands) {
    const result = when(state, command);
    if (!result.ok) throw new Error(`given: ${command.type} was rejected with ${result.code}`);
    state = result.state;
  }
  return state;
}

/** When this command arrives: the next state and its fact, or the rejection code. */
export function when(
  state: EntityState<WalletContext>,
  command: WalletCommand,
): { ok: true; state: EntityState<WalletContext>; fact: WalletFact } | { ok: false; code: string } {
  const decision = decide(walletMachine, walletKind.toSnapshot(state), command);
  if (!decision.ok) return decision;
  const next = walletKind.fromSnapshot(decision.next);
  return { ok: true, state: next, fact: walletFactOf(command, state.context, next.context) };
}

export const yuan = (n: number | string): bigint => BigInt(Math.round(Number(n) * 100)) * 10_000n;
