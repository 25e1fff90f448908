import type { EntityState } from "./kind.js";
import { availableMicros } from "./wallet.js";
import type { WalletCommand, WalletContext } from "./walletTypes.js";
import type { DirectDecision } from "./walletUsage.js";

/**
 * The wallet's most frequent commands — debits and credits — decided without the statechart
 * interpreter: exactly the chart's guards and assignments for them (test/wallet-balance-moves.unit
 * .test.ts holds them equal over random states and commands). A debit through HTTP and every such
 * record replayed on restart come here. Undefined for every other command: the chart decides those.
 */
export function decideWalletBalanceMove(
  state: EntityState<WalletContext>,
  command: WalletCommand,
): DirectDecision<WalletContext> | undefined {
  switch (command.type) {
    case "wallet.grant":
    case "wallet.top_up":
    case "wallet.restore_refund":
      // Paid money is never refused: a frozen wallet is credited too.
      return credited(state, command.amountMicros);
    case "wallet.debit":
      if (state.value === "frozen") return { ok: false, code: "wallet_frozen" };
      if (state.value !== "active") return undefined;
      if (availableMicros(state.context) < command.amountMicros)
        return { ok: false, code: "insufficient_balance" };
      return credited(state, -command.amountMicros);
    default:
      return undefined;
  }
}

function credited(state: EntityState<WalletContext>, deltaMicros: bigint): DirectDecision<WalletContext> {
  const { context } = state;
  return {
    ok: true,
    next: { value: state.value, context: { ...context, balanceMicros: context.balanceMicros + deltaMicros } },
  };
}
