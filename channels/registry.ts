import { AlipayChannel, type AlipayChannelConfig } from "./alipay/channel.js";
import {
  providerOf,
  type ChannelKind,
  type ChannelProvider,
  type CreatedOrder,
  type CreateOrderInput,
  type PaymentChannel,
} from "./types.js";
import { WechatPayChannel, type WechatPayChannelConfig } from "./wechatpay/channel.js";

export interface PaymentChannels {
  /** The adapter for a provider; throws when it is not configured. */
  provider(provider: ChannelProvider): PaymentChannel;
  forKind(kind: ChannelKind): PaymentChannel;
  createOrder(input: CreateOrderInput): Promise<CreatedOrder>;
  configured(): ChannelProvider[];
}

export function createPaymentChannels(config: {
  wechatpay?: WechatPayChannelConfig;
  alipay?: AlipayChannelConfig;
}): PaymentChannels {
  const adapters = new Map<ChannelProvider, PaymentChannel>();
  if (config.wechatpay) adapters.set("wechatpay", new WechatPayChannel(config.wechatpay));
  if (config.alipay) adapters.set("alipay", new AlipayChannel(config.alipay));
  const provider = (name: ChannelProvider) => {
    const adapter = adapters.get(name);
    if (!adapter) throw new Error(`payment channel ${name} is not configured`);
    return adapter;
  };
  return {
    provider,
    forKind: (kind) => provider(providerOf(kind)),
    createOrder: (input) => provider(providerOf(input.channel)).createOrder(input),
    configured: () => [...adapters.keys()],
  };
}
