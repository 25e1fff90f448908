import type { DecimalString, IsoTimestamp } from "./types.js";

/** What you sell: prices say how much and how often. */
export interface Product {
  id: string;
  object: "product";
  name: string;
  /** The name shown to Chinese-speaking customers. */
  nameZh: string | null;
  description: string | null;
  createdAt: IsoTimestamp;
}

/** "recurring" is billed every interval by a subscription; "one_time" is bought once, as a purchase. */
export type PriceType = "recurring" | "one_time";

export type PriceInterval = "month";

/**
 * A product's price, immutable once created (change it by creating another). Not the rate card's
 * `Price`, which prices metered usage.
 */
export interface ProductPrice {
  id: string;
  object: "price";
  productId: string;
  type: PriceType;
  unitAmount: DecimalString;
  currency: "CNY";
  nickname: string | null;
  /** Recurring prices only. */
  interval: PriceInterval | null;
  /** One-time prices only: how long after payment a purchase may be refunded. */
  refundWindowDays: number | null;
  createdAt: IsoTimestamp;
}

export type SubscriptionStatus = "incomplete" | "active" | "past_due" | "canceled";

/** Known reasons autocomplete; the `string` arm keeps older SDKs working when the server adds one. */
export type SubscriptionCancelReason = "requested" | "unpaid" | "incomplete_expired" | (string & {});

export interface Subscription {
  id: string;
  object: "subscription";
  customerExternalId: string;
  productId: string;
  priceId: string;
  status: SubscriptionStatus;
  currentPeriodStart: IsoTimestamp;
  currentPeriodEnd: IsoTimestamp;
  /** Canceled at `currentPeriodEnd` unless resumed before. */
  cancelAtPeriodEnd: boolean;
  canceledAt: IsoTimestamp | null;
  cancelReason: SubscriptionCancelReason | null;
  /** A downgrade waiting for the period's end. */
  pendingChange: { priceId: string } | null;
  /** Unused-time credit owed to the customer, taken off the next invoices (their `creditApplied`). */
  credit: DecimalString;
  latestInvoiceId: string | null;
  createdAt: IsoTimestamp;
}

export type PurchaseStatus = "pending" | "paid" | "refunded" | "canceled";

/** A one-time price bought, paid through its own invoice. */
export interface Purchase {
  id: string;
  object: "purchase";
  customerExternalId: string;
  productId: string;
  priceId: string;
  amount: DecimalString;
  status: PurchaseStatus;
  invoiceId: string;
  /** The end of the price's refund window. */
  refundableUntil: IsoTimestamp | null;
  paidAt: IsoTimestamp | null;
  refundedAt: IsoTimestamp | null;
  createdAt: IsoTimestamp;
}

export type EntitlementSource = "subscription" | "purchase";

/** A customer's access to a product, granted by a subscription or a purchase. */
export interface Entitlement {
  object: "entitlement";
  productId: string;
  source: EntitlementSource;
  /** The subscription's or purchase's ID. */
  sourceId: string;
  priceId: string;
  grantedAt: IsoTimestamp;
  endsAt: IsoTimestamp | null;
}

export interface EntitlementCheck {
  object: "entitlement_check";
  productId: string;
  hasAccess: boolean;
  /** What grants the access; null without access. */
  entitlement: Entitlement | null;
}

export type TestClockStatus = "ready" | "advancing";

/** Sandbox only: simulated time for the customers created on it, moved forward by `advance`. */
export interface TestClock {
  id: string;
  object: "test_clock";
  name: string | null;
  frozenTime: IsoTimestamp;
  status: TestClockStatus;
  createdAt: IsoTimestamp;
}
