/**
 * Every operating error is a stable snake_case code, mapped to HTTP in this one table.
 * Programmer errors are assertions and crash instead.
 */
export const errorStatus = {
  invalid_request: 400,
  invalid_amount: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  customer_not_found: 404,
  merchant_not_found: 404,
  reservation_not_found: 404,
  customer_exists: 409,
  idempotency_key_reused: 409,
  idempotency_key_in_use: 409,
  insufficient_balance: 402,
  wallet_frozen: 409,
  wallet_not_frozen: 409,
  wallet_already_frozen: 409,
  reservation_not_active: 409,
  reservation_expired: 409,
  reservation_not_expired: 409,
  reservations_limit_reached: 409,
  capture_exceeds_reservation: 422,
  rate_card_not_found: 404,
  metric_not_found: 404,
  metric_exists: 409,
  invalid_rate_card: 400,
  currency_mismatch: 409,
  effective_from_in_past: 422,
  billing_mode_requires_rate_card: 422,
  webhook_endpoint_not_found: 404,
  webhook_delivery_not_found: 404,
  webhook_endpoint_disabled: 409,
  webhook_endpoints_limit_reached: 409,
  webhook_url_not_allowed: 422,
  upgrade_required: 426,
  invoice_not_found: 404,
  invoice_not_open: 409,
  invoice_not_paid: 409,
  channel_limit_exceeded: 422,
  channel_not_configured: 503,
  channel_error: 502,
  refund_exceeds_payment: 422,
  sandbox_only: 403,
  product_not_found: 404,
  price_not_found: 404,
  invalid_price: 400,
  product_prices_limit_reached: 409,
  test_clock_not_found: 404,
  test_clock_time_invalid: 422,
  test_clock_advancing: 409,
  payment_in_progress: 409,
  invoice_not_finalized: 409,
  invoice_unpaid: 409,
  subscription_not_found: 404,
  purchase_not_found: 404,
  price_type_mismatch: 422,
  price_product_mismatch: 422,
  subscription_not_active: 409,
  subscription_canceled: 409,
  same_price: 409,
  cancel_scheduled: 409,
  not_scheduled_to_cancel: 409,
  period_ended: 409,
  refund_window_closed: 409,
  purchase_not_paid: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  overloaded: 503,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** An operating error with a stable code; thrown inside the API layer and rendered as problem+json. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export function statusOf(code: ErrorCode): number {
  return errorStatus[code];
}
