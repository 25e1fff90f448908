import { accounts } from "../domain/accounts.js";
import type { Environment } from "../domain/environment.js";
import { fenToMicros } from "../domain/money.js";
import { posting, type Posting } from "../domain/postings.js";
import type { PaymentFact } from "./paymentOrderTypes.js";

export interface PaymentOwner {
  env: Environment;
  merchantId: string;
}

/**
 * The cash side of collection (README, "Money"). A top-up of gross G with channel fee C and platform
 * fee P: payers −G, channel fees +C, platform fees +P, merchant payable +(G−C−P); the credit side
 * (wallet +G, prepaid credit sold −G) is the wallet's part of the same record. A refund R, once the
 * channel confirms it: payers +R, merchant payable −R (fees are not returned). Money paid after its
 * order closed, and money held with a flag (the channel took it, we did not apply it), goes to the
 * merchant's unapplied payments until refunded. Amounts: fen × 10,000.
 */
export function paymentPostingsOf(fact: PaymentFact, owner: PaymentOwner): Posting[] {
  const currency = "CNY";
  const payers = accounts.externalPayers(owner.env);
  const payable = accounts.merchantPayable(owner.env, owner.merchantId);
  const unapplied = accounts.merchantUnappliedPayments(owner.env, owner.merchantId);
  const amount = fenToMicros(BigInt(fact.amountFen));
  const intoUnapplied = () => [posting(payers, currency, -amount), posting(unapplied, currency, amount)];
  switch (fact.type) {
    case "payment.succeeded": {
      const channelFee = fenToMicros(BigInt(fact.channelFeeFen ?? "0"));
      const platformFee = fenToMicros(BigInt(fact.platformFeeFen ?? "0"));
      return [
        posting(payers, currency, -amount),
        posting(accounts.channelFees(owner.env, fact.provider), currency, channelFee),
        posting(accounts.platformFees(owner.env), currency, platformFee),
        posting(payable, currency, amount - channelFee - platformFee),
      ];
    }
    case "payment.paid_after_close":
      return intoUnapplied();
    case "payment.flagged":
      // A flag's amount is what the channel reported for its transaction, not the order's.
      return fact.settlement === "unapplied" ? intoUnapplied() : [];
    case "payment.refund_succeeded":
      return [
        posting(payers, currency, amount),
        posting(fact.settlement === "unapplied" ? unapplied : payable, currency, -amount),
      ];
    default:
      return [];
  }
}
