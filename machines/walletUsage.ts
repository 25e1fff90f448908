import type { EntityState } from "./kind.js";
import { availableMicros, withoutOldPeriods } from "./wallet.js";
import type { WalletCommand, WalletContext } from "./walletTypes.js";

export type DirectDecision<TContext> =
  { ok: true; next: EntityState<TContext> } | { ok: false; code: string };

/**
 * `wallet.charge` and `wallet.accrue` decided without the statechart interpreter: exactly the
 * chart's guard and assignment for these two events (test/wallet-usage.unit.test.ts holds them
 * equal over random states and commands), at a small fraction of the cost — a usage batch decides
 * hundreds of them. Live commands and replay both come here, so they cannot disagree.
 * Undefined for every other command: the chart decides those.
 */
export function decideWalletUsage(
  state: EntityState<WalletContext>,
  command: WalletCommand,
): DirectDecision<WalletContext> | undefined {
  if (command.type !== "wallet.charge" && command.type !== "wallet.accrue") return undefined;
  if (state.value === "frozen") return { ok: false, code: "wallet_frozen" };
  if (state.value !== "active") return undefined;
  const { context } = state;
  if (
    command.type === "wallet.charge" &&
    availableMicros(context) - command.amountMicros < command.floorMicros
  ) {
    return { ok: false, code: "insufficient_balance" };
  }
  const usage = withoutOldPeriods(context.usage, command.detail.occurredAt);
  usage[command.usageKey] = command.cumulativeAfter;
  const next: WalletContext =
    command.type === "wallet.charge"
      ? { ...context, usage, balanceMicros: context.balanceMicros - command.amountMicros }
      : { ...context, usage };
  return { ok: true, next: { value: state.value, context: next } };
}
