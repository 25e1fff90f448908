/** The adapter surface the payment actors call. One `PaymentChannel` per provider; `channel` picks the product. */

export type ChannelProvider = "wechatpay" | "alipay";

export const channelKinds = [
  "wechat_native",
  "wechat_jsapi",
  "wechat_h5",
  "alipay_page",
  "alipay_wap",
  "alipay_qr",
] as const;

export type ChannelKind = (typeof channelKinds)[number];

export function providerOf(kind: ChannelKind): ChannelProvider {
  return kind.startsWith("wechat_") ? "wechatpay" : "alipay";
}

export interface CreateOrderInput {
  channel: ChannelKind;
  outTradeNo: string;
  amountFen: bigint;
  description: string;
  expiresAt: Date;
  notifyUrl: string;
  /** Required for `wechat_jsapi`. */
  payerOpenId?: string;
  /** Required for `wechat_h5`. */
  clientIp?: string;
  /** Where the browser lands after `alipay_page` / `alipay_wap`. */
  returnUrl?: string;
  /** Echoed back by the channel in queries and callbacks (WeChat `attach`, Alipay `passback_params`). */
  attach?: string;
}

export interface JsapiPayParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: "RSA";
  paySign: string;
}

/** What the buyer-facing side needs to start paying. */
export type PaymentAction =
  | { type: "qr_code"; codeUrl: string }
  | { type: "jsapi"; prepayId: string; payParams: JsapiPayParams }
  | { type: "redirect"; url: string }
  | { type: "alipay_form"; url: string; formHtml: string };

export interface CreatedOrder {
  channel: ChannelKind;
  outTradeNo: string;
  action: PaymentAction;
  expiresAt: Date;
}

/** Coarse payment state: `paid` means the buyer paid, whatever refunds came later. */
export type OrderStatus = "pending" | "paid" | "closed" | "failed" | "not_found";

export interface OrderSnapshot {
  provider: ChannelProvider;
  outTradeNo: string;
  status: OrderStatus;
  /** The channel's own state word (`NOTPAY`, `TRADE_SUCCESS`…). */
  channelState: string;
  transactionId?: string;
  amountFen?: bigint;
  paidAt?: Date;
  payerId?: string;
  attach?: string;
}

export type CloseOutcome =
  | { outcome: "closed" }
  /** The channel has no such trade (yet): an Alipay QR trade not scanned can still be paid until it expires. */
  | { outcome: "not_found" }
  | { outcome: "already_paid" };

export interface RefundInput {
  outTradeNo: string;
  outRefundNo: string;
  refundFen: bigint;
  totalFen: bigint;
  reason?: string;
  notifyUrl?: string;
}

export type RefundStatus = "processing" | "succeeded" | "failed" | "not_found";

export interface RefundSnapshot {
  provider: ChannelProvider;
  outTradeNo: string;
  outRefundNo: string;
  status: RefundStatus;
  channelState: string;
  refundId?: string;
  refundFen?: bigint;
  succeededAt?: Date;
}

export interface BillRow {
  kind: "payment" | "refund";
  at: Date;
  transactionId: string;
  outTradeNo: string;
  outRefundNo?: string;
  /** Positive for payments, negative for refunds. */
  amountFen: bigint;
  feeFen: bigint;
}

export interface TradeBill {
  provider: ChannelProvider;
  billDate: string;
  rows: BillRow[];
  /** The file exactly as downloaded (WeChat CSV text, Alipay zip). */
  raw: Uint8Array;
}

export interface PaymentSucceeded {
  type: "payment_succeeded";
  provider: ChannelProvider;
  eventId: string;
  outTradeNo: string;
  transactionId: string;
  amountFen: bigint;
  currency: "CNY";
  paidAt: Date;
  payerId?: string;
  attach?: string;
}

export interface RefundSucceeded {
  type: "refund_succeeded";
  provider: ChannelProvider;
  eventId: string;
  outTradeNo: string;
  transactionId: string;
  outRefundNo: string;
  refundId?: string;
  /** This refund (WeChat tells it). */
  refundFen?: bigint;
  /** All refunds of the trade so far (Alipay tells only this). */
  refundedTotalFen?: bigint;
  totalFen: bigint;
  succeededAt: Date;
}

export interface RefundFailed {
  type: "refund_failed";
  provider: ChannelProvider;
  eventId: string;
  outTradeNo: string;
  transactionId: string;
  outRefundNo: string;
  refundId?: string;
  refundFen: bigint;
  channelState: string;
}

/** A refund the channel has not settled yet (WeChat Pay: PROCESSING, or ABNORMAL until re-submitted). */
export interface RefundProcessing {
  type: "refund_processing";
  provider: ChannelProvider;
  eventId: string;
  outTradeNo: string;
  transactionId: string;
  outRefundNo: string;
  refundId?: string;
  channelState: string;
}

export interface PaymentClosed {
  type: "payment_closed";
  provider: ChannelProvider;
  eventId: string;
  outTradeNo: string;
  transactionId: string;
  closedAt: Date;
}

export type ChannelNotification =
  PaymentSucceeded | RefundSucceeded | RefundFailed | RefundProcessing | PaymentClosed;

export type CallbackRejection =
  | "bad_signature"
  | "signature_probe"
  | "stale_timestamp"
  | "unknown_serial"
  | "replayed_nonce"
  | "malformed"
  | "decrypt_failed"
  | "wrong_merchant"
  | "unsupported_event";

/** The exact HTTP answer the channel expects. */
export interface CallbackAck {
  status: number;
  contentType: string;
  body: string;
}

export type CallbackResult =
  | {
      accepted: true;
      notification: ChannelNotification;
      /** Send after the notification is durably recorded. */
      ack: CallbackAck;
      /** Send instead when recording fails, so the channel retries. */
      nack: CallbackAck;
    }
  | { accepted: false; rejection: CallbackRejection; detail: string; ack: CallbackAck };

export type CallbackHeaders = Record<string, string | string[] | undefined>;

export interface PaymentChannel {
  readonly provider: ChannelProvider;
  readonly kinds: readonly ChannelKind[];
  /** Validates against channel limits first; throws `ChannelError` (`invalid_order`) without calling out. */
  createOrder(input: CreateOrderInput): Promise<CreatedOrder>;
  queryOrder(input: { outTradeNo: string }): Promise<OrderSnapshot>;
  closeOrder(input: { outTradeNo: string }): Promise<CloseOutcome>;
  refund(input: RefundInput): Promise<RefundSnapshot>;
  queryRefund(input: { outTradeNo: string; outRefundNo: string }): Promise<RefundSnapshot>;
  parseCallback(headers: CallbackHeaders, rawBody: Uint8Array | string): Promise<CallbackResult>;
  /** `billDate` is a Beijing calendar date, `YYYY-MM-DD`. */
  downloadTradeBill(input: { billDate: string }): Promise<TradeBill>;
}

export interface LimitViolation {
  field: string;
  rule: string;
}
