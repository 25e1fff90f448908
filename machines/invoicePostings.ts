import { accounts } from "../domain/accounts.js";
import type { Environment } from "../domain/environment.js";
import { fenToMicros } from "../domain/money.js";
import { posting, type Posting } from "../domain/postings.js";
import type { InvoiceFact } from "./invoiceTypes.js";

export interface InvoiceOwner {
  env: Environment;
  merchantId: string;
}

/**
 * The customer side of a billing invoice (its cash side is the payment's, as for a top-up). Finalizing
 * an invoice of total T = S + U − C (S: subscription, proration and purchase lines; U: postpaid usage;
 * C: account credit applied) posts: invoices due −T, billed revenue +S, unbilled usage +U (that usage
 * is now on an invoice), account credit −C. Paying it: invoices due +T, invoice collections −T.
 * Voiding a finalized invoice reverses its finalization; writing it off moves T to bad debt. A refund
 * R of a paid invoice: billed revenue −R, invoice collections +R (the cash leaves with the payment's).
 * A top-up receipt posts nothing here: the wallet's credit is its customer side. Amounts: fen × 10,000.
 */
export function invoicePostingsOf(fact: InvoiceFact, owner: InvoiceOwner): Posting[] {
  if (fact.purpose === undefined || fact.purpose === "top_up") return [];
  const currency = fact.currency;
  const due = accounts.customerInvoicesDue(owner.env, fact.customerId);
  const total = fenToMicros(BigInt(fact.amountFen));
  switch (fact.type) {
    case "invoice.finalized":
      return nonZero(finalization(fact, owner, total));
    case "invoice.voided":
      return fact.wasFinalized
        ? nonZero(
            finalization(fact, owner, total).map((p) => ({ ...p, amountMicros: negate(p.amountMicros) })),
          )
        : [];
    case "invoice.paid":
      return nonZero([
        posting(due, currency, total),
        posting(accounts.merchantInvoiceCollections(owner.env, owner.merchantId), currency, -total),
      ]);
    case "invoice.marked_uncollectible":
      return nonZero([
        posting(due, currency, total),
        posting(accounts.merchantBadDebt(owner.env, owner.merchantId), currency, -total),
      ]);
    case "invoice.refunded":
    case "invoice.refund_restored": {
      const refund =
        fenToMicros(BigInt(fact.refundFen ?? "0")) * (fact.type === "invoice.refunded" ? 1n : -1n);
      return nonZero([
        posting(accounts.merchantBilledRevenue(owner.env, owner.merchantId), currency, -refund),
        posting(accounts.merchantInvoiceCollections(owner.env, owner.merchantId), currency, refund),
      ]);
    }
    default:
      return [];
  }
}

function finalization(fact: InvoiceFact, owner: InvoiceOwner, total: bigint): Posting[] {
  let sales = 0n;
  let usage = 0n;
  for (const line of fact.lines ?? []) {
    const amount = fenToMicros(BigInt(line.amountFen));
    if (line.kind === "usage") usage += amount;
    else sales += amount;
  }
  const credit = fenToMicros(BigInt(fact.creditAppliedFen ?? "0"));
  return [
    posting(accounts.customerInvoicesDue(owner.env, fact.customerId), fact.currency, -total),
    posting(accounts.merchantBilledRevenue(owner.env, owner.merchantId), fact.currency, sales),
    posting(accounts.customerUnbilledUsage(owner.env, fact.customerId), fact.currency, usage),
    posting(accounts.customerAccountCredit(owner.env, fact.customerId), fact.currency, -credit),
  ];
}

const negate = (micros: string) => (-BigInt(micros)).toString();

const nonZero = (postings: Posting[]) => postings.filter((p) => BigInt(p.amountMicros) !== 0n);
