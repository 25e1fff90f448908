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
  /** Collection (see README, Money): buyers' money arrives from outside the ledger, so this goes negative. */
  externalPayers: (env: Environment) => `${env}:external:payers`,
  channelFees: (env: Environment, provider: string) => `${env}:channel:${provider}:fees`,
  platformFees: (env: Environment) => `${env}:platform:fees`,
  /** What the platform owes the merchant, net of fees: the settlement balance. */
  merchantPayable: (env: Environment, merchantId: string) => `${env}:merchant:${merchantId}:payable`,
  /** Prepaid credit the merchant sold (negative): wallet credit that came from a paid top-up. */
  merchantPrepaidCreditSold: (env: Environment, merchantId: string) =>
    `${env}:merchant:${merchantId}:prepaid_credit_sold`,
  /** Money paid after its order closed: never credited, held until refunded. */
  merchantUnappliedPayments: (env: Environment, merchantId: string) =>
    `${env}:merchant:${merchantId}:unapplied_payments`,
  /** Finalized invoices not yet settled: negative while the customer owes them. */
  customerInvoicesDue: (env: Environment, customerId: string) => `${env}:customer:${customerId}:invoices_due`,
  /** Credit owed to the customer (unused time after a downgrade), taken off their next invoice. */
  customerAccountCredit: (env: Environment, customerId: string) =>
    `${env}:customer:${customerId}:account_credit`,
  /** Subscription fees, prorations and purchases invoiced by the merchant. */
  merchantBilledRevenue: (env: Environment, merchantId: string) =>
    `${env}:merchant:${merchantId}:billed_revenue`,
  /** Invoices settled (negative): the cash itself is in the payable, posted by the payment. */
  merchantInvoiceCollections: (env: Environment, merchantId: string) =>
    `${env}:merchant:${merchantId}:invoice_collections`,
  /** Invoices written off as uncollectible. */
  merchantBadDebt: (env: Environment, merchantId: string) => `${env}:merchant:${merchantId}:bad_debt`,
} as const;
