import type { AsOfPoint } from "./asOf.js";
import { AuditIntegrityError } from "./findings.js";
import type { AuditLedger } from "./ledger.js";
import { progressEveryRecords } from "./verify.js";

export interface AccountBalance {
  account: string;
  currency: string;
  balanceMicros: bigint;
}

export interface BalancesReport {
  asOf: AsOfPoint;
  records: number;
  /** Accounts (filtered by prefix) with their balance per currency, sorted by account then currency. */
  balances: AccountBalance[];
  /** Per currency over the listed accounts; over all accounts (no prefix) every total is zero. */
  totalsMicros: Record<string, bigint>;
}

const integer = /^-?\d+$/;

/** Every account's balance as of a point: the fold of all postings of records 1..asOf.seq. */
export async function balancesAsOf(
  ledger: AuditLedger,
  asOf: AsOfPoint,
  options: { accountPrefix?: string | undefined; onProgress?: (seq: number, lastSeq: number) => void } = {},
): Promise<BalancesReport> {
  const sums = new Map<string, bigint>();
  let records = 0;
  for await (const record of ledger.records(asOf.seq)) {
    records += 1;
    for (const p of record.postings) {
      if (!integer.test(p.amountMicros)) {
        throw new AuditIntegrityError({
          seq: record.seq,
          check: "bad_amount",
          message: "a posting amount is not an integer",
        });
      }
      const key = `${p.account}\n${p.currency}`;
      sums.set(key, (sums.get(key) ?? 0n) + BigInt(p.amountMicros));
    }
    if (options.onProgress && record.seq % progressEveryRecords === 0)
      options.onProgress(record.seq, asOf.seq);
  }
  const prefix = options.accountPrefix ?? "";
  const balances: AccountBalance[] = [];
  const totalsMicros: Record<string, bigint> = {};
  for (const [key, balanceMicros] of sums) {
    const [account = "", currency = ""] = key.split("\n");
    if (!account.startsWith(prefix)) continue;
    balances.push({ account, currency, balanceMicros });
    totalsMicros[currency] = (totalsMicros[currency] ?? 0n) + balanceMicros;
  }
  balances.sort((a, b) => a.account.localeCompare(b.account) || a.currency.localeCompare(b.currency));
  return { asOf, records, balances, totalsMicros };
}
