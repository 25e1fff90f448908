/**
 * Payment channels: WeChat Pay v3 and Alipay OpenAPI adapters behind one `PaymentChannel` interface,
 * and sandbox simulators that speak both protocols. The only import surface of `channels/`.
 */
export type {
  BillRow,
  CallbackAck,
  CallbackHeaders,
  CallbackRejection,
  CallbackResult,
  ChannelKind,
  ChannelNotification,
  ChannelProvider,
  CloseOutcome,
  CreatedOrder,
  CreateOrderInput,
  JsapiPayParams,
  LimitViolation,
  OrderSnapshot,
  OrderStatus,
  PaymentAction,
  PaymentChannel,
  PaymentClosed,
  PaymentSucceeded,
  RefundFailed,
  RefundProcessing,
  RefundInput,
  RefundSnapshot,
  RefundStatus,
  RefundSucceeded,
  TradeBill,
} from "./types.js";
export { channelKinds, providerOf } from "./types.js";
export { ChannelError, channelErrorRetryable, type ChannelErrorCode } from "./errors.js";
export { channelLimits, wechatCallbackRetryDelaysMs, alipayCallbackRetryDelaysMs } from "./limits.js";
export { createPaymentChannels, type PaymentChannels } from "./registry.js";
export { createMemoryNonceStore, type NonceStore } from "./nonceStore.js";
export { fenToYuan, yuanToFen } from "./money.js";
export type { Clock } from "./time.js";
export * as wechatpay from "./wechatpay/index.js";
export * as alipay from "./alipay/index.js";
export { WechatPayChannel, type WechatPayChannelConfig } from "./wechatpay/channel.js";
export { AlipayChannel, type AlipayChannelConfig } from "./alipay/channel.js";
export {
  createWechatPaySimulator,
  type WechatPaySimulator,
  type WechatPaySimulatorOptions,
} from "./wechatpay/simulator/index.js";
export {
  createAlipaySimulator,
  type AlipaySimulator,
  type AlipaySimulatorOptions,
} from "./alipay/simulator/index.js";
export {
  generateAlipaySandboxKeys,
  generateWechatPaySandboxKeys,
  readAlipaySandboxKeys,
  readWechatPaySandboxKeys,
  writeAlipaySandboxKeys,
  writeWechatPaySandboxKeys,
  type AlipaySandboxKeys,
  type WechatPaySandboxKeys,
} from "./sandbox/keys.js";
export type { CallbackFaults, DeliveryAttempt } from "./sandbox/callbackDelivery.js";
export type { ApiFault } from "./sandbox/apiFaults.js";
export { mountSimulator } from "./sandbox/koa.js";
export {
  createCallbackReceiver,
  listenOnLoopback,
  type CallbackReceiver,
  type LoopbackServer,
  type ReceivedCallback,
} from "./sandbox/harness.js";
