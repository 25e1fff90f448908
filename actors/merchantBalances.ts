import type { Environment } from "../domain/environment.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord } from "../wal/record.js";
import type { RecordFeed } from "./feed.js";

/** One merchant's balances in one currency: account (`domain/accounts.ts`) → micros. */
export interface MerchantCurrencyBalances {
  currency: string;
  accountsMicros: ReadonlyMap<string, bigint>;
}

export interface MerchantBalancesView {
  /** Every record up to this sequence is folded in, and no record after it. */
  throughSeq: number;
  currencies: MerchantCurrencyBalances[];
}

const merchantSegment = ":merchant:";

/**
 * The balances of merchants' ledger accounts (`<env>:merchant:<id>:<purpose>`), folded from postings
 * and held in memory; the other accounts are skipped. Nothing is written and startup does not wait:
 * the first read folds the log up to its durable head, and from then on each published record that
 * follows the last folded one is folded as it is published. A record that does not follow (a gap,
 * records published out of order or while a read was folding the log) is not folded live; the next
 * read folds the log from where the fold stopped. The log stays the only truth: a restart rebuilds.
 */
export class MerchantBalances {
  /** `<env>:<merchantId>` → `<account>\n<currency>` → micros. */
  private readonly sums = new Map<string, Map<string, bigint>>();
  private through = 0;
  private folding: Promise<void> | null = null;

  constructor(
    private readonly log: Log,
    feed: RecordFeed,
  ) {
    feed.subscribe((record) => {
      if (this.folding === null && record.seq === this.through + 1) this.fold(record);
    });
  }

  /** One merchant's balances per currency, as of the durable head at the time of the call (or later). */
  async read(env: Environment, merchantId: string): Promise<MerchantBalancesView> {
    const target = this.log.durableHead;
    while (this.through < target) {
      this.folding ??= this.foldLog().finally(() => {
        this.folding = null;
      });
      await this.folding;
    }
    const byCurrency = new Map<string, Map<string, bigint>>();
    for (const [key, micros] of this.sums.get(`${env}:${merchantId}`) ?? []) {
      const [account = "", currency = ""] = key.split("\n");
      const accounts = byCurrency.get(currency) ?? new Map<string, bigint>();
      accounts.set(account, micros);
      byCurrency.set(currency, accounts);
    }
    const currencies = [...byCurrency]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, accountsMicros]) => ({ currency, accountsMicros }));
    return { throughSeq: this.through, currencies };
  }

  /** Folds the durable records after the last folded one; live records wait meanwhile. */
  private async foldLog(): Promise<void> {
    const to = this.log.durableHead;
    for await (const record of this.log.scan(this.through + 1, to)) this.fold(record);
    if (this.through < to) throw new Error(`merchant balances: the log ends at ${this.through}, not ${to}`);
  }

  private fold(record: CommittedRecord): void {
    for (const posting of record.postings) {
      const at = posting.account.indexOf(merchantSegment);
      if (at < 0) continue;
      const env = posting.account.slice(0, at);
      const rest = posting.account.slice(at + merchantSegment.length);
      const colon = rest.indexOf(":");
      if (colon < 0) continue;
      const owner = `${env}:${rest.slice(0, colon)}`;
      const key = `${posting.account}\n${posting.currency}`;
      const sums = this.sums.get(owner) ?? new Map<string, bigint>();
      sums.set(key, (sums.get(key) ?? 0n) + BigInt(posting.amountMicros));
      this.sums.set(owner, sums);
    }
    this.through = record.seq;
  }
}
