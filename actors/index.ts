export { Runtime, type RuntimeOptions, type RecoveryReport, type InvoiceEffects } from "./runtime.js";
export {
  InvoiceDocuments,
  invoiceDocumentOf,
  hasInvoiceDocument,
  type InvoiceDocumentData,
  type InvoiceDocumentView,
  type InvoiceSource,
  type InvoiceSourceData,
  type RenderInvoicePdf,
} from "./invoiceDocuments.js";
export {
  InvoiceMailOutbox,
  invoiceMailPolicyDefault,
  type InvoiceMailMessage,
  type InvoiceMailPolicy,
  type InvoiceMailSend,
  type InvoiceMailSendResult,
} from "./invoiceMail.js";
export type {
  InvoiceMailJob,
  InvoiceMailKind,
  InvoiceMailSentInfo,
  InvoiceMailSentStore,
  InvoiceMailState,
} from "./invoiceMailStore.js";
export { IdempotencyStore, type StoredResponse, type IdempotencyClaim } from "./idempotency.js";
export {
  MerchantDirectory,
  adminTokenMatches,
  sha256Hex,
  type Merchant,
  type ApiKeyOwner,
  type RolledKey,
} from "./merchants.js";
export { CustomerDirectory, type Customer, type CustomerInput } from "./customers.js";
export { WalletService, type WalletOperation, type WalletCommandInput } from "./wallets.js";
export {
  walletFactsIn,
  walletShareOf,
  type LedgerWalletFact,
  type WalletShare,
} from "./walletRecordFacts.js";
export { OverloadedError } from "./overloaded.js";
export { RecordFeed, type RecordListener } from "./feed.js";
export {
  MerchantBalances,
  type MerchantBalancesView,
  type MerchantCurrencyBalances,
} from "./merchantBalances.js";
export { reservationStatusOf, type ReservationEntry } from "./walletIndexes.js";
export { LogIntegrityError, LogOverloadedError } from "../wal/errors.js";
export { ReplayDivergedError } from "../snapshots/replay.js";
export type { CommittedRecord, IndexOp } from "../wal/record.js";
export {
  RateCardDirectory,
  type RateCard,
  type PublishedVersion,
  type InsufficientBalancePolicy,
} from "./rateCards.js";
export { MetricDirectory, type Metric } from "./metrics.js";
export {
  UsageService,
  type InvalidUsageEvent,
  type UsageEventInput,
  type UsageEventResult,
} from "./usage.js";
export { auditEntity, type Actor } from "./audit.js";
export type { BillingMode, CustomerChanges } from "./customers.js";
export { EventCatalogue, eventTypes, eventApiVersion, type BillingEvent, type EventType } from "./events.js";
export { WebhookService, defaultRetryScheduleMs, type WebhookOptions } from "./webhooks.js";
export type { WebhookEndpoint } from "./webhookEndpoints.js";
export type { WebhookDelivery, DeliveryStatus } from "./webhookDeliveries.js";
export type { AttemptOutcome, WebhookSend } from "./webhookQueue.js";
export type { ReplayPlan } from "./webhookReplay.js";
export {
  PaymentService,
  type CollectionOptions,
  type RefundResult,
  type TopUpInput,
  type TopUpResult,
} from "./payments.js";
export type { Collection } from "./paymentRecords.js";
export type { PaymentRef } from "./paymentIndexes.js";
export {
  GatewayError,
  noPaymentGateway,
  type CallbackHeaders,
  type GatewayAck,
  type GatewayCallback,
  type GatewayCloseOutcome,
  type GatewayErrorCode,
  type GatewayNotification,
  type GatewayOrderInput,
  type GatewayOrderStatus,
  type GatewayRefundInput,
  type GatewayRefundStatus,
  type GatewayViolation,
  type PaymentGateway,
  type SimulatedOutcome,
  type SimulationInput,
} from "./paymentGateway.js";
export {
  customerData,
  invoiceData,
  purchaseData,
  subscriptionData,
  transactionData,
  usageTransactionId,
} from "./eventPayloads.js";
export {
  ProductCatalog,
  type CatalogPage,
  type PageOptions,
  type Price,
  type PriceInput,
  type PriceInterval,
  type PriceType,
  type Product,
  type ProductInput,
} from "./catalog.js";
export {
  TestClockDirectory,
  testClockCustomersEntity,
  type TestClock,
  type TestClockAdvancer,
  type TestClockStatus,
} from "./testClocks.js";
