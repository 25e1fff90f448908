import { toLoggable } from "../../domain/bigintJson.js";
import { walletEntity, walletKind } from "../../machines/walletKind.js";
import type { WalletCommand, WalletContext } from "../../machines/walletTypes.js";
import type { LoggedCommand, LoggedFact, RecordDraft } from "../../wal/record.js";

/**
 * Builds wallet records exactly as the registry does (actors/registry.ts decideAndAppend): the
 * logged command, the fact from walletFactOf, the postings from walletKind.postingsOf with the
 * customer id as entity id. The context is advanced by hand (grant adds, debit subtracts) instead
 * of through the machine, so building a million records is cheap; replay checks them all.
 */
export class WalletDraftWriter {
  private context: WalletContext = walletKind.initialState().context;
  private counter = 0;
  readonly entity: string;

  constructor(
    readonly customerId: string,
    readonly merchantId: string,
    readonly env: "test" | "live" = "test",
  ) {
    this.entity = walletEntity(customerId);
  }

  get balanceMicros(): bigint {
    return this.context.balanceMicros;
  }

  grant(at: number, amountMicros: bigint, reason = "bench seed credit"): RecordDraft {
    return this.draft({ type: "wallet.grant", amountMicros, reason, transactionId: this.txId(), at });
  }

  debit(at: number, amountMicros: bigint, description: string | null = null): RecordDraft {
    return this.draft({ type: "wallet.debit", amountMicros, description, transactionId: this.txId(), at });
  }

  private txId(): string {
    this.counter += 1;
    // Same shape as newId("wtx"): a prefix and 20 base32-ish characters.
    return `wtx_${this.customerId.slice(-10)}${this.counter.toString(32).padStart(10, "0")}`;
  }

  private draft(command: WalletCommand): RecordDraft {
    const before = this.context;
    const delta =
      command.type === "wallet.grant"
        ? command.amountMicros
        : command.type === "wallet.debit"
          ? -command.amountMicros
          : 0n;
    const after: WalletContext = { ...before, balanceMicros: before.balanceMicros + delta };
    const fact = walletKind.factOf(command, before, after);
    const postings = walletKind.postingsOf(fact, {
      env: this.env,
      merchantId: this.merchantId,
      entityId: this.customerId,
    });
    this.context = after;
    return {
      env: this.env,
      merchantId: this.merchantId,
      entity: this.entity,
      command: toLoggable(command) as LoggedCommand,
      facts: [toLoggable(fact) as LoggedFact],
      postings,
      keys: [],
    };
  }
}

/** A customer id shaped like newId("cus"), deterministic from a number. */
export function benchCustomerId(i: number): string {
  return `cus_bench${i.toString(32).padStart(15, "0")}`;
}

export const benchMerchantId = "mer_bench0000000000000001";
