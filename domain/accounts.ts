import type { Environment } from "./environment.js";

/**
 * Ledger account names: `<env>:<owner kind>:<owner id>:<purpose>`.
 * A wallet is two accounts: what the customer may spend (`available`) and what is held
 * by open reservations (`held`); the wallet's balance is their sum.
 */
export const accounts = {
  walletAvailable: (env: Environment, customerId: string) => `${env}:customer:${customerId}:wallet_available`,
  walletHeld: (env: Environment, customerId: string) => `${env}:customer:${customerId}:wallet_held`,
  /** Postpaid usage not yet invoiced: negative while the customer owes it. */
  customerUnbilledUsage: (env: Environment, customerId: string) =>
    `${env}:customer:${customerId}:unbilled_usage`,
  merchantRevenue: (env: Environment, merchantId: string) => `${env}:merchant:${merchantId}:usage_revenue`,
  merchantPromotions: (env: Environment, merchantId: string) => `${env}:merchant:${merchantId}:promotions`,
} as const;
