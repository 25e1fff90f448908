import type { CheckoutAction, CollectionChannel, PaymentProvider } from "../domain/collection.js";
import type { Environment } from "../domain/environment.js";

/**
 * The port through which the payment actors reach WeChat Pay and Alipay, in the runtime's own terms.
 * `bin/` adapts `channels/` to it (sandbox simulators, live endpoints); actors never import channels.
 * One gateway spans both environments: each has its own channel accounts and keys.
 */
export interface PaymentGateway {
  /** Whether an environment can collect through `provider` at all. */
  supports(env: Environment, provider: PaymentProvider): boolean;
  /** The channel's own rules (amount bounds, required fields), checked before anything is recorded. */
  checkOrder(input: GatewayOrderInput): GatewayViolation[];
  /** Creates the channel's order; throws GatewayError. */
  createOrder(input: GatewayOrderInput): Promise<{ action: CheckoutAction }>;
  queryOrder(env: Environment, provider: PaymentProvider, outTradeNo: string): Promise<GatewayOrderStatus>;
  closeOrder(env: Environment, provider: PaymentProvider, outTradeNo: string): Promise<GatewayCloseOutcome>;
  refund(input: GatewayRefundInput): Promise<GatewayRefundStatus>;
  queryRefund(
    env: Environment,
    provider: PaymentProvider,
    ids: { outTradeNo: string; outRefundNo: string },
  ): Promise<GatewayRefundStatus>;
  /** Verifies and reads a callback; says which environment's keys verified it. Never throws on bad input. */
  parseCallback(
    provider: PaymentProvider,
    headers: CallbackHeaders,
    rawBody: Uint8Array,
  ): Promise<GatewayCallback>;
  /** Sandbox only: acts as the paying customer at the simulator (the money then arrives by callback). */
  simulate(input: SimulationInput): Promise<void>;
}

export interface GatewayOrderInput {
  env: Environment;
  channel: CollectionChannel;
  outTradeNo: string;
  amountFen: bigint;
  description: string;
  expiresAt: Date;
  payerOpenId?: string;
  clientIp?: string;
  returnUrl?: string;
  attach?: string;
}

export interface GatewayViolation {
  field: string;
  rule: string;
}

export interface GatewayOrderStatus {
  status: "pending" | "paid" | "closed" | "failed" | "not_found";
  channelState: string;
  transactionId?: string;
  amountFen?: bigint;
  paidAt?: Date;
  payerId?: string;
}

export type GatewayCloseOutcome = "closed" | "not_found" | "already_paid";

export interface GatewayRefundInput {
  env: Environment;
  provider: PaymentProvider;
  outTradeNo: string;
  outRefundNo: string;
  refundFen: bigint;
  totalFen: bigint;
  reason?: string;
}

export interface GatewayRefundStatus {
  status: "processing" | "succeeded" | "failed" | "not_found";
  channelState: string;
  refundFen?: bigint;
}

export type GatewayNotification =
  | {
      type: "payment_succeeded";
      outTradeNo: string;
      transactionId: string;
      amountFen: bigint;
      currency: string;
      paidAt: Date;
      payerId?: string;
    }
  | {
      type: "refund_succeeded";
      outTradeNo: string;
      transactionId: string;
      outRefundNo: string;
      /** This refund (WeChat says it); Alipay says only the trade's refunded total. */
      refundFen?: bigint;
      refundedTotalFen?: bigint;
    }
  | {
      /** Not settled yet at the channel: nothing changes. */
      type: "refund_processing";
      outTradeNo: string;
      outRefundNo: string;
      channelState: string;
    }
  | {
      type: "refund_failed";
      outTradeNo: string;
      outRefundNo: string;
      refundFen: bigint;
      channelState: string;
    }
  | { type: "payment_closed"; outTradeNo: string };

/** The exact HTTP answer the channel expects. */
export interface GatewayAck {
  status: number;
  contentType: string;
  body: string;
}

export type GatewayCallback =
  | {
      accepted: true;
      env: Environment;
      eventId: string;
      notification: GatewayNotification;
      /** Send once the notification is durably applied. */
      ack: GatewayAck;
      /** Send when applying failed, so the channel sends it again. */
      nack: GatewayAck;
    }
  | { accepted: false; rejection: string; detail: string; ack: GatewayAck };

export type CallbackHeaders = Record<string, string | string[] | undefined>;

export type SimulatedOutcome = "succeeded" | "failed" | "expired";

export interface SimulationInput {
  channel: CollectionChannel;
  outTradeNo: string;
  action: CheckoutAction;
  outcome: SimulatedOutcome;
}

export type GatewayErrorCode =
  /** The order breaks the channel's rules; nothing was created. */
  | "invalid_order"
  /** The channel refused (closed order, refund not allowed, …). */
  | "rejected"
  /** The channel did not answer or failed: the same request may be sent again. */
  | "unavailable"
  /** No channel account for this environment and provider. */
  | "not_configured";

/** An operating error of a channel call, in the runtime's terms. */
export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "GatewayError";
  }
}

/** The gateway of a runtime without channel accounts: nothing can be collected. */
export const noPaymentGateway: PaymentGateway = {
  supports: () => false,
  checkOrder: () => [],
  createOrder: () => Promise.reject(notConfigured()),
  queryOrder: () => Promise.reject(notConfigured()),
  closeOrder: () => Promise.reject(notConfigured()),
  refund: () => Promise.reject(notConfigured()),
  queryRefund: () => Promise.reject(notConfigured()),
  parseCallback: () =>
    Promise.resolve({
      accepted: false,
      rejection: "not_configured",
      detail: "no channel is configured",
      ack: { status: 404, contentType: "text/plain; charset=utf-8", body: "not configured" },
    }),
  simulate: () => Promise.reject(notConfigured()),
};

function notConfigured(): GatewayError {
  return new GatewayError("not_configured", "no payment channel is configured", false);
}
