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
  pageSizeMax: 100,
  pageSizeDefault: 20,
  commitBatchRecordsMax: 2_000,
  commitBatchBytesMax: 4 * 1_048_576,
  commitQueueRecordsMax: 50_000,
  mailboxCommandsMax: 10_000,
  residentActorsMax: 100_000,
  snapshotIntervalRecords: 50_000,
  timerSweepIntervalMs: 250,
} as const;
