import type { Currency, RatingPeriod } from "./rateCardTypes.js";
import type { DecimalString, IsoTimestamp } from "./types.js";

export type UsageEventStatus = "accepted" | "duplicate" | "rejected";

/** Why an event was rejected; known codes autocomplete, the `string` arm keeps older SDKs working. */
export type UsageRejectionCode =
  | "invalid_request"
  | "invalid_quantity"
  /** Too many dimensions, or a key or value out of bounds. */
  | "invalid_dimensions"
  /** Not readable as an event: a field of the wrong type or length, or an unknown field (see message). */
  | "invalid_event"
  | "occurred_at_out_of_range"
  | "metric_not_found"
  | "customer_not_found"
  | "rate_card_not_assigned"
  | "rate_card_not_in_effect"
  | "price_not_found"
  | "insufficient_balance"
  | "wallet_frozen"
  | "currency_mismatch"
  | "quantity_too_large"
  | "amount_too_large"
  | "idempotency_key_reused"
  /** Another request is applying an event with this key; retry to learn its outcome. */
  | "idempotency_key_in_use"
  | "internal_error"
  | (string & {});

/** One event's outcome, in the order the events were sent. */
export interface UsageEventResult {
  idempotencyKey: string;
  /** "duplicate": an event with this key and content was applied before, and is not charged again. */
  status: UsageEventStatus;
  /** When rejected. */
  code?: UsageRejectionCode;
  message?: string;
  /**
   * When accepted: the charge (prepaid) or accrual (postpaid); for a duplicate of an event an
   * earlier call applied, what that event was charged. Negative under volume pricing when the
   * event reaches a cheaper tier and the period's total falls: a credit.
   */
  amount?: DecimalString;
  currency?: Currency;
}

export interface UsageIngestResult {
  object: "list";
  results: UsageEventResult[];
}

/** Usage of one metric (and the dimensions grouped by) in the summary's period. */
export interface UsageGroup {
  metric: string;
  dimensions: Record<string, string>;
  quantity: DecimalString;
  /** The part of `quantity` the free allowance covered. */
  freeQuantity: DecimalString;
  amount: DecimalString;
  currency: Currency;
  events: number;
}

/** A free allowance of the customer's current rate card, in its current period. */
export interface AllowanceUsage {
  metric: string;
  dimensions: Record<string, string>;
  period: RatingPeriod;
  /** When the period began: midnight in Beijing (UTC+8), where usage days and months are counted. */
  periodStart: IsoTimestamp;
  included: DecimalString;
  used: DecimalString;
  remaining: DecimalString;
}

export interface UsageSummary {
  object: "usage_summary";
  customerExternalId: string;
  from: IsoTimestamp;
  /** Exclusive. */
  to: IsoTimestamp;
  groups: UsageGroup[];
  allowances: AllowanceUsage[];
}

/** One usage event behind a "usage" or "usage_accrual" wallet transaction. */
export interface UsageCharge {
  /** The event's idempotencyKey. */
  eventKey: string;
  metric: string;
  quantity: DecimalString;
  freeQuantity: DecimalString;
  dimensions: Record<string, string>;
  occurredAt: IsoTimestamp;
  amount: DecimalString;
  currency: Currency;
  rateCardId: string | null;
  rateCardVersion: number | null;
}
