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
export type {
  PaymentCommand,
  PaymentContext,
  PaymentFact,
  PaymentFlag,
  PaymentRefund,
  PaymentRejection,
  PaymentSettlement,
} from "./paymentOrderTypes.js";
