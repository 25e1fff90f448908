import type { WalletFactType } from "./walletTypes.js";

/** How a wallet fact reads as a transaction in the API, in events and in exports. */
export const walletTransactionTypes = {
  "wallet.granted": "grant",
  "wallet.debited": "debit",
  "wallet.reserved": "reservation",
  "wallet.captured": "capture",
  "wallet.released": "release",
  "wallet.expired": "expiry",
  "wallet.frozen": "freeze",
  "wallet.unfrozen": "unfreeze",
  "usage.charged": "usage",
  "usage.accrued": "usage_accrual",
  "wallet.topped_up": "top_up",
  "wallet.top_up_refunded": "top_up_refund",
  "wallet.refund_restored": "refund_restored",
  "wallet.credit_received": "account_credit",
} as const satisfies Record<WalletFactType, string>;
