/** Channel bounds, unit last. Protocol maxima come from the channels' documentation (see the spec). */
export const channelLimits = {
  wechatAmountFenMin: 1n,
  /** `amount.total` is an int32 field. Merchants' risk caps are lower; pass `amountFenMax` to tighten. */
  wechatAmountFenMax: 2_147_483_647n,
  wechatDescriptionLengthMax: 127,
  wechatAttachLengthMax: 128,
  wechatOutTradeNoLengthMin: 6,
  wechatOutTradeNoLengthMax: 32,
  wechatOutRefundNoLengthMax: 64,
  wechatRefundReasonLengthMax: 80,
  wechatNotifyUrlLengthMax: 255,
  wechatOpenIdLengthMax: 128,
  wechatExpiryMsMin: 60_000,
  wechatExpiryMsMax: 7 * 24 * 3600_000,
  wechatCallbackSkewMsMax: 300_000,
  wechatCodeUrlValidityMs: 2 * 3600_000,
  wechatH5UrlValidityMs: 5 * 60_000,
  alipayAmountFenMin: 1n,
  alipayAmountFenMax: 10_000_000_000n, // ¥100,000,000.00
  alipaySubjectLengthMax: 256,
  alipayOutTradeNoLengthMax: 64,
  alipayOutRequestNoLengthMax: 64,
  alipayRefundReasonLengthMax: 256,
  alipayExpiryMsMin: 60_000,
  alipayExpiryMsMax: 15 * 24 * 3600_000,
  callbackBodyBytesMax: 65_536,
  httpTimeoutMs: 10_000,
  nonceStoreEntriesMax: 100_000,
  simulatorRequestBodyBytesMax: 1_048_576,
  simulatorDeliveryLogEntriesMax: 10_000,
  simulatorOrdersMax: 100_000,
  simulatorCallbackTimeoutMs: 5_000,
  billDownloadUrlValidityMs: 30_000,
} as const;

/** WeChat's documented retry intervals after a failed callback delivery. */
export const wechatCallbackRetryDelaysMs: readonly number[] = [
  15_000, 15_000, 30_000, 180_000, 600_000, 1_200_000, 1_800_000, 1_800_000, 1_800_000, 3_600_000, 10_800_000,
  10_800_000, 10_800_000, 21_600_000, 21_600_000,
];

/** Alipay's documented resend intervals (~8 sends within 25 h). */
export const alipayCallbackRetryDelaysMs: readonly number[] = [
  240_000, 600_000, 600_000, 3_600_000, 7_200_000, 21_600_000, 54_000_000,
];
