/** Codes the server sends today; the `string` arm keeps older SDKs working when it adds one. */
export type BuffMoneyErrorCode =
  | "invalid_request"
  | "invalid_amount"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "customer_not_found"
  | "merchant_not_found"
  | "reservation_not_found"
  | "customer_exists"
  | "idempotency_key_reused"
  | "idempotency_key_in_use"
  | "insufficient_balance"
  | "wallet_frozen"
  | "wallet_not_frozen"
  | "wallet_already_frozen"
  | "reservation_not_active"
  | "reservation_expired"
  | "reservation_not_expired"
  | "reservations_limit_reached"
  | "capture_exceeds_reservation"
  | "rate_card_not_found"
  | "metric_not_found"
  | "metric_exists"
  | "invalid_rate_card"
  | "currency_mismatch"
  | "effective_from_in_past"
  | "billing_mode_requires_rate_card"
  | "invoice_not_found"
  | "invoice_not_open"
  | "invoice_not_paid"
  | "channel_limit_exceeded"
  | "channel_not_configured"
  | "channel_error"
  | "refund_exceeds_payment"
  | "sandbox_only"
  | "webhook_endpoint_not_found"
  | "webhook_delivery_not_found"
  | "webhook_endpoint_disabled"
  | "webhook_endpoints_limit_reached"
  | "webhook_url_not_allowed"
  | "upgrade_required"
  | "product_not_found"
  | "price_not_found"
  | "invalid_price"
  | "product_prices_limit_reached"
  | "test_clock_not_found"
  | "test_clock_time_invalid"
  | "test_clock_advancing"
  | "payment_in_progress"
  | "invoice_not_finalized"
  | "invoice_unpaid"
  | "subscription_not_found"
  | "purchase_not_found"
  | "price_type_mismatch"
  | "price_product_mismatch"
  | "subscription_not_active"
  | "subscription_canceled"
  | "same_price"
  | "cancel_scheduled"
  | "not_scheduled_to_cancel"
  | "period_ended"
  | "refund_window_closed"
  | "purchase_not_paid"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "overloaded"
  | "internal_error"
  /** A 2xx answer whose body was not JSON. */
  | "invalid_response"
  /** An error status without a problem+json `code`, e.g. from a proxy. */
  | "unknown_error"
  | (string & {});

/** The server answered with an error (after any retries). `code` is stable; branch on it, not on `message`. */
export class BuffMoneyError extends Error {
  override readonly name = "BuffMoneyError";
  readonly code: BuffMoneyErrorCode;
  readonly status: number;
  readonly requestId: string | undefined;
  /** Per-field validation problems, as the server sent them. */
  readonly errors: unknown[] | undefined;
  /** The parsed response body (or its text when it was not JSON). */
  readonly raw: unknown;

  constructor(fields: {
    code: BuffMoneyErrorCode;
    status: number;
    message: string;
    requestId?: string | undefined;
    errors?: unknown[] | undefined;
    raw: unknown;
  }) {
    super(fields.message);
    this.code = fields.code;
    this.status = fields.status;
    this.requestId = fields.requestId;
    this.errors = fields.errors;
    this.raw = fields.raw;
  }
}

/**
 * No answer arrived after every retry (network failure or timeout). The outcome is unknown:
 * repeat the call with the caller's own `idempotencyKey` to learn it without doing the work twice.
 */
export class BuffMoneyConnectionError extends Error {
  override readonly name = "BuffMoneyConnectionError";
  readonly code = "connection_error";
}

/** Reads an `application/problem+json` body into a BuffMoneyError, tolerating anything else. */
export function errorFromProblem(status: number, body: unknown): BuffMoneyError {
  const problem: Record<string, unknown> = typeof body === "object" && body !== null ? { ...body } : {};
  const text = (key: string): string | undefined =>
    typeof problem[key] === "string" ? problem[key] : undefined;
  return new BuffMoneyError({
    code: text("code") ?? "unknown_error",
    status,
    message: text("detail") ?? text("title") ?? `HTTP ${status}`,
    requestId: text("requestId"),
    errors: Array.isArray(problem["errors"]) ? problem["errors"] : undefined,
    raw: body,
  });
}
