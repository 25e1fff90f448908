import { decide } from "../../machines/decide.js";
import type { EntityState } from "../../machines/kind.js";
import { walletKind } from "../../machines/walletKind.js";
import type { WalletCommand, WalletContext } from "../../machines/walletTypes.js";

/** The wallet chart's own decision, through the XState interpreter: what direct decisions must equal. */
export function byMachine(state: EntityState<WalletContext>, command: WalletCommand) {
  const decision = decide(walletKind.machine, walletKind.toSnapshot(state), command as never);
  return decision.ok ? { ok: true as const, next: walletKind.fromSnapshot(decision.next) } : decision;
}
