/**
 * Money moves only as postings. A posting adds its (signed) amount to its account's balance;
 * the postings of one record sum to zero per currency. Sources outside the ledger (a merchant's
 * promotional budget, a payment channel) go negative, so every balance is a plain sum.
 */
export interface Posting {
  account: string;
  currency: string;
  /** Signed integer micro-units as a digit string ("-150000"). */
  amountMicros: string;
}

export function posting(account: string, currency: string, amountMicros: bigint): Posting {
  // Keys in sorted order: records encode fastest that way (domain/canonicalJson.ts).
  return { account, amountMicros: amountMicros.toString(), currency };
}

/** Sums per currency; an empty result means the postings balance. */
export function unbalancedCurrencies(postings: readonly Posting[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const p of postings) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + BigInt(p.amountMicros));
  for (const [currency, sum] of sums) if (sum === 0n) sums.delete(currency);
  return sums;
}

/** Throws unless every currency's postings sum to zero; `context` names the change (built only then). */
export function assertBalanced(postings: readonly Posting[], context: string | (() => string)): void {
  // The common case, checked without a map: one currency whose postings sum to zero.
  if (balancedInOneCurrency(postings)) return;
  const off = unbalancedCurrencies(postings);
  if (off.size > 0) {
    const named = typeof context === "function" ? context() : context;
    throw new Error(
      `postings do not balance for ${named}: ${[...off].map(([c, s]) => `${c} ${s}`).join(", ")}`,
    );
  }
}

function balancedInOneCurrency(postings: readonly Posting[]): boolean {
  const currency = postings[0]?.currency;
  let sum = 0n;
  for (const p of postings) {
    if (p.currency !== currency) return false;
    sum += BigInt(p.amountMicros);
  }
  return sum === 0n;
}
