export { walletMachine, walletMachineVersion, availableMicros, reservationsPerWalletMax } from "./wallet.js";
export { walletFactOf } from "./walletFacts.js";
export { decide, type Decision } from "./decide.js";
export type {
  Reservation,
  WalletCommand,
  WalletContext,
  WalletFact,
  WalletFactType,
  WalletRejection,
} from "./walletTypes.js";
export { walletPostingsOf, type WalletOwner } from "./walletPostings.js";
export { walletKind, walletEntity } from "./walletKind.js";
export type { EntityKind, EntityState, RecordOwner } from "./kind.js";
export { invoiceMachine, invoiceMachineVersion } from "./invoice.js";
export { invoiceFactOf } from "./invoiceFacts.js";
export { invoiceKind, invoiceEntity } from "./invoiceKind.js";
export type {
  InvoiceCommand,
  InvoiceContext,
  InvoiceFact,
  InvoiceLine,
  InvoiceRejection,
} from "./invoiceTypes.js";
export { paymentMachine, paymentMachineVersion } from "./paymentOrder.js";
export { paymentFactOf } from "./paymentOrderFacts.js";
export { paymentPostingsOf, type PaymentOwner } from "./paymentOrderPostings.js";
export { paymentKind, paymentEntity } from "./paymentOrderKind.js";
export { channelTotalFen, heldFen, holdableFlagReasons, unappliedFen } from "./paymentOrderMoney.js";
export type {
  PaymentCommand,
  PaymentContext,
  PaymentFact,
  PaymentFlag,
  PaymentRefund,
  PaymentRejection,
  PaymentSettlement,
} from "./paymentOrderTypes.js";
export { invoicePostingsOf, type InvoiceOwner } from "./invoicePostings.js";
export { invoiceNumbersKind, invoiceNumbersEntity } from "./invoiceNumbersKind.js";
export { formatInvoiceNumber } from "./invoiceNumbers.js";
export { subscriptionMachine, subscriptionMachineVersion, subscriptionGrantsAccess } from "./subscription.js";
export { subscriptionFactOf } from "./subscriptionFacts.js";
export { subscriptionKind, subscriptionEntity } from "./subscriptionKind.js";
export type {
  SubscriptionCancelReason,
  SubscriptionCommand,
  SubscriptionContext,
  SubscriptionFact,
  SubscriptionFactType,
  SubscriptionPendingChange,
  SubscriptionRejection,
  SubscriptionStatus,
} from "./subscriptionTypes.js";
export {
  purchaseMachine,
  purchaseMachineVersion,
  purchaseGrantsAccess,
  purchaseRefundableUntil,
} from "./purchase.js";
export { purchaseFactOf } from "./purchaseFacts.js";
export { purchaseKind, purchaseEntity } from "./purchaseKind.js";
export type {
  PurchaseCommand,
  PurchaseContext,
  PurchaseFact,
  PurchaseFactType,
  PurchaseRejection,
  PurchaseStatus,
} from "./purchaseTypes.js";
