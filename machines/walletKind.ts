import { fromLoggable, toLoggable } from "../domain/bigintJson.js";
import type { Environment } from "../domain/environment.js";
import type { EntityKind, EntityState } from "./kind.js";
import { initialWalletContext, walletMachine, walletMachineVersion } from "./wallet.js";
import { walletFactOf } from "./walletFacts.js";
import { walletPostingsOf } from "./walletPostings.js";
import { currentWalletFact } from "./walletUsageLog.js";
import { decideWalletBalanceMove } from "./walletBalanceMoves.js";
import { decideWalletUsage } from "./walletUsage.js";
import type { WalletCommand, WalletContext, WalletFact } from "./walletTypes.js";

export const walletEntity = (customerId: string) => `wallet:${customerId}`;
export const isWalletEntity = (entity: string) => entity.startsWith("wallet:");

export const walletKind: EntityKind<typeof walletMachine, WalletContext, WalletCommand, WalletFact> = {
  name: "wallet",
  machine: walletMachine,
  version: walletMachineVersion,
  initialState: () => ({ value: "active", context: initialWalletContext() }),
  toSnapshot: (state: EntityState<WalletContext>) => walletMachine.resolveState(state),
  fromSnapshot: (snapshot) => ({ value: snapshot.value as string, context: snapshot.context }),
  decideDirect: (state, command) =>
    decideWalletUsage(state, command) ?? decideWalletBalanceMove(state, command),
  factOf: walletFactOf,
  currentFact: currentWalletFact,
  postingsOf: (fact, owner) =>
    walletPostingsOf(fact, {
      env: owner.env as Environment,
      merchantId: owner.merchantId ?? "",
      customerId: owner.entityId,
    }),
  commandFromLog: (logged) => fromLoggable(logged) as WalletCommand,
  contextToJson: (context) => toLoggable(context),
  contextFromJson: (json) => {
    const context = fromLoggable(json) as Omit<WalletContext, "usage"> & { usage?: Record<string, string> };
    return { ...context, usage: context.usage ?? {} };
  },
};
