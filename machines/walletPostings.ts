import { accounts } from "../domain/accounts.js";
import type { Environment } from "../domain/environment.js";
import { posting, type Posting } from "../domain/postings.js";
import type { WalletFact } from "./walletTypes.js";

export interface WalletOwner {
  env: Environment;
  merchantId: string;
  customerId: string;
}

/**
 * The postings behind each wallet fact. Granted credit comes from the merchant's promotions
 * account; bought credit (a paid top-up) from the merchant's prepaid credit sold, and a top-up
 * refund gives it back there; account credit left by an ended subscription comes from the customer's
 * account credit; spent credit becomes the merchant's usage revenue; a reservation
 * moves credit from available to held and back. The cash side of a top-up is the payment's.
 */
export function walletPostingsOf(fact: WalletFact, owner: WalletOwner): Posting[] {
  const currency = "CNY";
  const available = accounts.walletAvailable(owner.env, owner.customerId);
  const held = accounts.walletHeld(owner.env, owner.customerId);
  const revenue = accounts.merchantRevenue(owner.env, owner.merchantId);
  const amount = BigInt(fact.amountMicros);
  switch (fact.type) {
    case "wallet.granted":
      return [
        posting(accounts.merchantPromotions(owner.env, owner.merchantId), currency, -amount),
        posting(available, currency, amount),
      ];
    case "wallet.debited":
      return [posting(available, currency, -amount), posting(revenue, currency, amount)];
    case "wallet.reserved":
      return [posting(available, currency, -amount), posting(held, currency, amount)];
    case "wallet.captured": {
      const released = BigInt(fact.releasedMicros ?? "0");
      const lines = [posting(held, currency, -(amount + released)), posting(revenue, currency, amount)];
      if (released > 0n) lines.push(posting(available, currency, released));
      return lines;
    }
    case "wallet.released":
    case "wallet.expired":
      return [posting(held, currency, -amount), posting(available, currency, amount)];
    case "usage.charged":
      return [posting(available, currency, -amount), posting(revenue, currency, amount)];
    case "usage.accrued": {
      const cardCurrency = fact.currency ?? currency;
      return [
        posting(accounts.customerUnbilledUsage(owner.env, owner.customerId), cardCurrency, -amount),
        posting(revenue, cardCurrency, amount),
      ];
    }
    case "wallet.topped_up":
    case "wallet.refund_restored":
      return [
        posting(accounts.merchantPrepaidCreditSold(owner.env, owner.merchantId), currency, -amount),
        posting(available, currency, amount),
      ];
    case "wallet.top_up_refunded":
      return [
        posting(available, currency, -amount),
        posting(accounts.merchantPrepaidCreditSold(owner.env, owner.merchantId), currency, amount),
      ];
    case "wallet.credit_received":
      return [
        posting(accounts.customerAccountCredit(owner.env, owner.customerId), currency, -amount),
        posting(available, currency, amount),
      ];
    case "wallet.frozen":
    case "wallet.unfrozen":
      return [];
  }
}
