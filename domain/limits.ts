/** Every bound in one place, unit last. Past a bound the API answers 413/429/503, never queues without end. */
export const limits = {
  requestBodyBytesMax: 1_048_576,
  idempotencyKeyLengthMax: 255,
  externalIdLengthMax: 128,
  nameLengthMax: 200,
  emailLengthMax: 254,
  reasonLengthMax: 500,
  amountMicrosMax: 1_000_000_000_000_000n, // ¥1,000,000,000.000000
  reservationExpirySecondsMax: 30 * 24 * 3600,
  reservationExpirySecondsDefault: 15 * 60,
  reservationsPerWalletMax: 1_000,
  /** One merchant's requests in flight in one environment (api/tenantShare.ts); past it 429. */
  requestsInFlightPerMerchantMax: 256,
  pageSizeMax: 100,
  pageSizeDefault: 20,
  commitBatchRecordsMax: 2_000,
  commitBatchBytesMax: 4 * 1_048_576,
  commitQueueRecordsMax: 50_000,
  mailboxCommandsMax: 10_000,
  residentActorsMax: 100_000,
  snapshotIntervalRecords: 50_000,
  timerSweepIntervalMs: 250,
  /** On SIGTERM, requests already sent get this long to be answered before their connections are cut. */
  shutdownDrainMs: 10_000,
  /** Sweeps run back to back at startup for what came due while the server was down (1,000 each). */
  timerCatchUpSweepsMax: 100,
  /** Subscriptions and purchases one customer may hold (listing and entitlement checks read them all). */
  billingObjectsPerCustomerMax: 1_000,
  /** Index entries one page of the invoice list reads while filtering. */
  invoiceListScanMax: 5_000,
  /** Timers one test clock advance may fire (a runaway loop stops here). */
  testClockTimersPerAdvanceMax: 100_000,
  usageBatchEventsMax: 500,
  usageLateArrivalMs: 35 * 24 * 3600 * 1000,
  usageFutureToleranceMs: 5 * 60 * 1000,
  dimensionsPerEventMax: 10,
  dimensionKeyLengthMax: 40,
  dimensionValueLengthMax: 100,
  customMetricsPerMerchantMax: 100,
  pricesPerRateCardMax: 200,
  rateCardVersionsMax: 1_000,
  // CNY collection.
  topUpFenMin: 1n,
  topUpFenMax: 5_000_000n, // ¥50,000.00 per top-up
  paymentOrderExpiryMsDefault: 30 * 60 * 1000,
  // An order with no callback yet is queried at the channel this long after it was created, then at
  // doubling intervals up to the max, until its expiry (which queries once more, then closes it).
  paymentReconcileAfterMsDefault: 60_000,
  paymentReconcileIntervalMsMax: 10 * 60 * 1000,
  // Channel queries from reconcile timers in flight at once; due ones past it wait for the next sweep.
  paymentReconcileQueriesMax: 32,
  // Payment refs kept in memory by lookup key (about 300 bytes each): the recent orders' lookups.
  paymentRefsKeptMax: 50_000,
  channelCallbackBytesMax: 65_536,
  refundReasonLengthMax: 80,
  channelRetryDelayMsMax: 60_000,
  simulatePaymentWaitMs: 3_000,
  checkoutPollIntervalMs: 2_000,
  /** Payment starts from the public checkout page, per client address and per invoice, per window. */
  checkoutPayWindowMs: 60_000,
  checkoutPayPerAddressMax: 60,
  checkoutPayPerInvoiceMax: 10,
  checkoutPayKeysMax: 10_000,
  // Webhooks (outbox) and the live event feed.
  webhookEndpointsPerEnvironmentMax: 16,
  webhookUrlLengthMax: 2_048,
  webhookEventTypesMax: 50,
  webhookSecretsMax: 3,
  webhookSecretOverlapMs: 24 * 3600 * 1000,
  /** A rolled API key keeps working at most this long beside its replacement (7 days, as Stripe allows). */
  apiKeyRollOverlapSecondsMax: 7 * 24 * 3600,
  webhookRequestTimeoutMs: 10_000,
  webhookAttemptsInFlightPerEndpointMax: 4,
  webhookAttemptsInFlightMax: 256,
  webhookDeliveriesLoadedPerEndpointMax: 1_000,
  webhookAttemptsRecordedMax: 50,
  webhookResponseExcerptBytesMax: 1_024,
  webhookDisableAfterMs: 3 * 24 * 3600 * 1000,
  webhookDisableAfterFailures: 10,
  webhookReplayEventsMax: 1_000,
  webhookReplayScanRecordsMax: 100_000,
  webhookDeliveryScanMax: 5_000,
  outboxCursorFlushIntervalMs: 1_000,
  eventCacheRecordsMax: 256,
  tailReadRecordsMax: 500,
  feedConnectionsMax: 1_000,
  /** One merchant's connections in one environment: no key can take the whole server's share. */
  feedConnectionsPerMerchantMax: 200,
  feedBufferedBytesMax: 4 * 1_048_576,
  feedSendHighWaterBytes: 1_048_576,
  feedBacklogRecordsMax: 10_000,
  feedPingIntervalMs: 30_000,
  // The product catalog and sandbox test clocks.
  productDescriptionLengthMax: 1_000,
  pricesPerProductMax: 20,
  priceAmountFenMax: 1_000_000_000n, // ¥10,000,000.00
  refundWindowDaysMax: 365,
  catalogObjectsCachedMax: 20_000,
  testClocksCachedMax: 10_000,
  // Two calendar years with room for a leap day: how far one advance may move a test clock.
  testClockAdvanceMsMax: 731 * 24 * 3600 * 1000,
  testClockTimeMsMax: 253_402_300_799_999, // 9999-12-31T23:59:59.999Z
} as const;
