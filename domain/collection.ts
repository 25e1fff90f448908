/**
 * CNY collection: the checkout channels a top-up can use, what the buyer is shown to pay, and the
 * fees taken from what was paid. Pure values, shared by the machines, the runtime and the API.
 */
export const collectionChannels = [
  "wechat_native",
  "wechat_jsapi",
  "wechat_h5",
  "alipay_page",
  "alipay_wap",
] as const;

export type CollectionChannel = (typeof collectionChannels)[number];

export type PaymentProvider = "wechatpay" | "alipay";

export const paymentProviders: readonly PaymentProvider[] = ["wechatpay", "alipay"];

export function providerOfChannel(channel: CollectionChannel): PaymentProvider {
  return channel.startsWith("wechat_") ? "wechatpay" : "alipay";
}

/** What the buyer's side needs to start paying: a QR code, a JSAPI call, a page to open. */
export type CheckoutAction =
  | { type: "qr_code"; codeUrl: string }
  | { type: "jsapi"; prepayId: string; payParams: Record<string, string> }
  | { type: "redirect"; url: string }
  | { type: "alipay_form"; url: string; formHtml: string };

/** Basis points of the gross amount: the channel's fee per provider, and the platform's own. */
export interface FeeRates {
  channelBps: Record<PaymentProvider, number>;
  platformBps: number;
}

/** Channel 0.60 %, platform 1.00 %; configurable per runtime. */
export const defaultFeeRates: FeeRates = { channelBps: { wechatpay: 60, alipay: 60 }, platformBps: 100 };

const bpsPerUnit = 10_000n;

/** A fee of `bps` basis points on `amountFen`, in whole fen, rounded HALF_UP (0.5 fen rounds up). */
export function feeFen(amountFen: bigint, bps: number): bigint {
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new RangeError(`fee rate ${bps} bps`);
  if (amountFen < 0n) throw new RangeError(`negative amount ${amountFen}`);
  return (amountFen * BigInt(bps) + bpsPerUnit / 2n) / bpsPerUnit;
}

/** Asserts rates whose fees can never exceed the gross (a programmer error otherwise). */
export function assertFeeRates(rates: FeeRates): void {
  for (const provider of paymentProviders) {
    const total = rates.channelBps[provider] + rates.platformBps;
    if (!(total >= 0 && total <= 10_000)) throw new RangeError(`fees of ${provider} exceed 100%`);
    feeFen(0n, rates.channelBps[provider]);
  }
  feeFen(0n, rates.platformBps);
}
