import type { ChannelProvider } from "./types.js";

/**
 * Operating errors of a channel call, normalised across WeChat Pay and Alipay.
 * `retryable` means: retry the same request with the same parameters (and the same idempotency key).
 */
export const channelErrorRetryable = {
  invalid_order: false,
  order_paid: false,
  order_closed: false,
  order_not_found: false,
  order_params_mismatch: false,
  refund_not_found: false,
  refund_exceeds_refundable: false,
  refund_not_allowed: false,
  refund_params_mismatch: false,
  insufficient_merchant_balance: true,
  amount_limit_exceeded: false,
  request_rejected: false,
  auth_failed: false,
  rate_limited: true,
  channel_unavailable: true,
  response_signature_invalid: false,
  bill_not_ready: true,
  bill_not_found: false,
  bill_hash_mismatch: true,
} as const;

export type ChannelErrorCode = keyof typeof channelErrorRetryable;

export class ChannelError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: ChannelErrorCode,
    readonly provider: ChannelProvider,
    message: string,
    readonly channelCode?: string,
    readonly httpStatus?: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ChannelError";
    this.retryable = channelErrorRetryable[code];
  }
}
