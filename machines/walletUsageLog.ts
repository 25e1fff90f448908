import { toLoggable } from "../domain/bigintJson.js";
import type { WalletCommand, WalletFact } from "./walletTypes.js";

type Logged = { type: string; [field: string]: unknown };

/**
 * The logged form of a wallet command, as toLoggable writes it (test/wallet-usage-log.unit.test.ts
 * holds them equal): a usage batch logs hundreds of charges, so those are built directly, keys in
 * sorted order and amounts as digit strings, instead of by toLoggable's generic sorted copy.
 * `detail` is logged as it is: the caller builds it with sorted keys and no bigint.
 */
export function walletCommandToLog(command: WalletCommand): Logged {
  switch (command.type) {
    case "wallet.charge":
      return {
        amountMicros: command.amountMicros.toString(),
        at: command.at,
        cumulativeAfter: command.cumulativeAfter,
        detail: command.detail,
        floorMicros: command.floorMicros.toString(),
        transactionId: command.transactionId,
        type: command.type,
        usageKey: command.usageKey,
      };
    case "wallet.accrue":
      return {
        amountMicros: command.amountMicros.toString(),
        at: command.at,
        cumulativeAfter: command.cumulativeAfter,
        detail: command.detail,
        transactionId: command.transactionId,
        type: command.type,
        usageKey: command.usageKey,
      };
    default:
      return toLoggable(command) as Logged;
  }
}

/** A usage fact is built loggable (walletFacts.ts) and logged as it is; any other gets toLoggable's copy. */
export function walletFactToLog(fact: WalletFact): Logged {
  const usage = fact.type === "usage.charged" || fact.type === "usage.accrued";
  return usage ? (fact as unknown as Logged) : (toLoggable(fact) as Logged);
}

/**
 * A logged wallet fact in today's form. Usage facts logged before their event moved to the command
 * repeated it as `usage`; an accrual's currency, which its postings are in, came from there.
 */
export function currentWalletFact(logged: unknown): unknown {
  const fact = logged as { type?: unknown; usage?: { currency: string } };
  if (fact.usage === undefined) return logged;
  const { usage, ...current } = fact;
  return fact.type === "usage.accrued" ? { ...current, currency: usage.currency } : current;
}
