import { BuffMoneyClient } from "./client.js";

export { BuffMoneyClient, type ClientOptions } from "./client.js";
export { BuffMoneyAdminClient, type AdminClientOptions } from "./adminClient.js";
export { BuffMoneyConnectionError, BuffMoneyError, type BuffMoneyErrorCode } from "./errors.js";
export type { ConnectionOptions } from "./options.js";
export type { FetchLike } from "./http.js";
export type { CreateCustomerParams, Customers, UpdateCustomerParams } from "./resources/customers.js";
export type {
  CaptureParams,
  DebitParams,
  FreezeParams,
  GrantParams,
  ListAllTransactionsParams,
  ListTransactionsParams,
  ReserveParams,
  TopUpParams,
  Wallets,
} from "./resources/wallets.js";
export type { Invoices, ListInvoicesParams, PayInvoiceParams } from "./resources/invoices.js";
export type { CreateProductParams, Products } from "./resources/products.js";
export type {
  CreateOneTimePriceParams,
  CreatePriceParams,
  CreateRecurringPriceParams,
  ListPricesParams,
  Prices,
} from "./resources/prices.js";
export type {
  CancelSubscriptionParams,
  ChangePlanParams,
  CreateSubscriptionParams,
  ListSubscriptionsParams,
  Subscriptions,
} from "./resources/subscriptions.js";
export type {
  CreatePurchaseParams,
  ListPurchasesParams,
  Purchases,
  RefundPurchaseParams,
} from "./resources/purchases.js";
export type { Entitlements } from "./resources/entitlements.js";
export type { AdvanceTestClockParams, CreateTestClockParams, TestClocks } from "./resources/testClocks.js";
export type {
  Entitlement,
  EntitlementCheck,
  EntitlementSource,
  PriceInterval,
  PriceType,
  Product,
  ProductPrice,
  Purchase,
  PurchaseStatus,
  Subscription,
  SubscriptionCancelReason,
  SubscriptionStatus,
  TestClock,
  TestClockStatus,
} from "./billingTypes.js";
export type { CreateRefundParams, Refunds } from "./resources/refunds.js";
export type { Sandbox, SimulatePaymentParams } from "./resources/sandbox.js";
export type { Balances } from "./resources/balance.js";
export type {
  Balance,
  CheckoutAction,
  CollectionChannel,
  CurrencyBalance,
  Invoice,
  InvoiceLine,
  InvoicePayment,
  InvoicePaymentStart,
  InvoicePurpose,
  InvoiceStatus,
  PaymentStatus,
  Refund,
  RefundStatus,
  TopUp,
} from "./collectionTypes.js";
export type { CreateMerchantParams, Merchants, RollApiKeyParams } from "./resources/merchants.js";
export type { UsageEventParams, UsageEvents } from "./resources/usageEvents.js";
export { UsageBuffer, UsageBufferError, type UsageBufferOptions } from "./usageBuffer.js";
export type {
  CreateWebhookEndpointParams,
  UpdateWebhookEndpointParams,
  ListWebhookDeliveriesParams,
  ReplayWebhookEventsParams,
  WebhookEndpoints,
} from "./resources/webhookEndpoints.js";
export type {
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookDeliverySummary,
  WebhookEndpoint,
  WebhookEndpointHealth,
  WebhookEndpointWithSecret,
  WebhookReplay,
} from "./webhookTypes.js";
export {
  verifyWebhook,
  WebhookVerificationError,
  type VerifyWebhookParams,
  type WebhookHeaders,
} from "./webhookVerify.js";
export type { Usage, UsageSummaryParams } from "./resources/usage.js";
export type { CreateRateCardParams, PublishRateCardVersionParams, RateCards } from "./resources/rateCards.js";
export type { CreateMetricParams, Metrics } from "./resources/metrics.js";
export type { AuditLog } from "./resources/auditLog.js";
export type { Events, FeedEvent, StreamParams } from "./resources/events.js";
export type { FeedSocket, FeedSocketEvent, WebSocketConstructor } from "./feedSocket.js";
export type { Timestamp } from "./timestamp.js";
export type {
  Currency,
  FreeAllowance,
  GraduatedPrice,
  InsufficientBalancePolicy,
  PackagePrice,
  PerUnitPrice,
  Price,
  PriceBase,
  PriceTier,
  RateCard,
  RateCardVersion,
  RatingPeriod,
  VolumePrice,
} from "./rateCardTypes.js";
export type {
  AllowanceUsage,
  UsageCharge,
  UsageEventResult,
  UsageEventStatus,
  UsageGroup,
  UsageIngestResult,
  UsageRejectionCode,
  UsageSummary,
} from "./usageTypes.js";
export type {
  AuditAction,
  AuditActor,
  AuditEntry,
  BillingMode,
  Customer,
  DecimalString,
  Environment,
  IsoTimestamp,
  List,
  ListAllParams,
  ListPage,
  Merchant,
  RolledApiKey,
  Metric,
  PageParams,
  RequestOptions,
  Reservation,
  ReservationOperation,
  ReservationStatus,
  Wallet,
  WalletOperation,
  WalletStatus,
  WalletTransaction,
  WalletTransactionType,
} from "./types.js";

export default BuffMoneyClient;
