import { z } from "zod";
import { collectionChannels } from "../domain/collection.js";
import { limits } from "../domain/limits.js";

/** Request and response schemas: they validate requests and are the OpenAPI document's only source. */

export const decimalAmount = z
  .string()
  .regex(/^(0|[1-9]\d{0,14})(\.\d{1,6})?$/, 'a decimal string with at most 6 decimal places, e.g. "12.50"')
  .meta({
    id: "DecimalAmount",
    description: "Money as a decimal string in the currency's units.",
    example: "12.50",
  });

const externalId = z
  .string()
  .min(1)
  .max(limits.externalIdLengthMax)
  .refine((v) => v !== "." && v !== "..", 'must not be "." or ".."')
  .meta({ description: "The merchant's own id for the customer.", example: "user_42" });

const isoTime = z.string().meta({ format: "date-time", example: "2026-11-27T08:00:00.000Z" });

export const webhookEndpointFields = {
  id: z.string(),
  object: z.literal("webhook_endpoint"),
  url: z.string(),
  eventTypes: z.array(z.string()),
  description: z.string().nullable(),
  environment: z.enum(["test", "live"]),
  status: z.enum(["enabled", "disabled"]),
  disabledReason: z.enum(["manual", "failing"]).nullable(),
  createdAt: isoTime,
};
export const webhookEndpoint = z.object(webhookEndpointFields).meta({ id: "WebhookEndpoint" });

export const createMerchantRequest = z
  .object({ name: z.string().trim().min(1).max(limits.nameLengthMax) })
  .strict()
  .meta({ id: "CreateMerchantRequest" });

export const merchantWithKeys = z
  .object({
    id: z.string(),
    object: z.literal("merchant"),
    name: z.string(),
    createdAt: isoTime,
    apiKeys: z
      .object({ test: z.string(), live: z.string() })
      .meta({ description: "Shown once; stored hashed." }),
  })
  .meta({ id: "MerchantWithKeys" });

export const createCustomerRequest = z
  .object({
    externalId,
    name: z.string().trim().min(1).max(limits.nameLengthMax).nullish(),
    email: z.email().max(limits.emailLengthMax).nullish(),
  })
  .strict()
  .meta({ id: "CreateCustomerRequest" });

export const customer = z
  .object({
    id: z.string(),
    object: z.literal("customer"),
    externalId: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    environment: z.enum(["test", "live"]),
    rateCardId: z.string().nullable(),
    billingMode: z.enum(["prepaid", "postpaid"]).nullable(),
    createdAt: isoTime,
  })
  .meta({ id: "Customer" });

export const externalIdParams = z.object({ externalId });
export const reservationParams = z.object({ externalId, reservationId: z.string().min(1).max(64) });

export const wallet = z
  .object({
    object: z.literal("wallet"),
    customerExternalId: z.string(),
    currency: z.literal("CNY"),
    balance: z.string().meta({ description: "Available + reserved." }),
    reserved: z.string(),
    available: z.string(),
    status: z.enum(["active", "frozen"]),
  })
  .meta({ id: "Wallet" });

export const walletTransaction = z
  .object({
    id: z.string(),
    object: z.literal("wallet_transaction"),
    type: z.enum([
      "grant",
      "debit",
      "reservation",
      "capture",
      "release",
      "expiry",
      "freeze",
      "unfreeze",
      "usage",
      "usage_accrual",
      "top_up",
      "top_up_refund",
      "refund_restored",
    ]),
    amount: z.string(),
    balanceAfter: z.string(),
    availableAfter: z.string(),
    reservationId: z.string().nullable(),
    reason: z.string().nullable(),
    description: z.string().nullable(),
    sequence: z.number().int().meta({ description: "The ledger record that holds this transaction." }),
    createdAt: isoTime,
    charges: z
      .array(z.record(z.string(), z.unknown()))
      .optional()
      .meta({ description: "For usage: the events charged in this transaction." }),
  })
  .meta({ id: "WalletTransaction" });

export const reservation = z
  .object({
    id: z.string(),
    object: z.literal("reservation"),
    amount: z.string(),
    capturedAmount: z.string().nullable(),
    status: z.enum(["active", "captured", "released", "expired"]),
    expiresAt: isoTime,
  })
  .meta({ id: "Reservation" });

export const walletOperation = z
  .object({ wallet, transaction: walletTransaction, reservation: reservation.optional() })
  .meta({ id: "WalletOperation" });

export const transactionList = z
  .object({
    object: z.literal("list"),
    data: z.array(walletTransaction),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "WalletTransactionList" });

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(limits.pageSizeMax).default(limits.pageSizeDefault),
  startingAfter: z
    .string()
    .regex(/^\d{1,16}$/)
    .optional()
    .meta({ description: "The nextCursor of the previous page." }),
});

export const grantRequest = z
  .object({ amount: decimalAmount, reason: z.string().trim().min(1).max(limits.reasonLengthMax) })
  .strict()
  .meta({ id: "GrantRequest" });

export const debitRequest = z
  .object({ amount: decimalAmount, description: z.string().max(limits.reasonLengthMax).nullish() })
  .strict()
  .meta({ id: "DebitRequest" });

export const reserveRequest = z
  .object({
    amount: decimalAmount,
    expiresInSeconds: z.number().int().min(1).max(limits.reservationExpirySecondsMax).optional(),
  })
  .strict()
  .meta({ id: "ReserveRequest" });

export const captureRequest = z
  .object({
    amount: decimalAmount.optional().meta({ description: "Omit to capture the whole reservation." }),
  })
  .strict()
  .meta({ id: "CaptureRequest" });

export const emptyRequest = z.object({}).strict().meta({ id: "EmptyRequest" });

export const freezeRequest = z
  .object({ reason: z.string().max(limits.reasonLengthMax).nullish() })
  .strict()
  .meta({ id: "FreezeRequest" });

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem" });

const dimensionMap = z
  .record(
    z
      .string()
      .min(1)
      .max(limits.dimensionKeyLengthMax)
      .regex(/^[A-Za-z0-9_.-]+$/),
    z.string().max(limits.dimensionValueLengthMax),
  )
  .refine((d) => Object.keys(d).length <= limits.dimensionsPerEventMax, {
    message: `at most ${limits.dimensionsPerEventMax} dimensions`,
  });

export const usageEvent = z
  .object({
    customerExternalId: externalId,
    idempotencyKey: z.string().min(1).max(limits.idempotencyKeyLengthMax),
    metric: z.string().min(1).max(64),
    quantity: z
      .string()
      .min(1)
      .max(40)
      .meta({ description: "A non-negative decimal string.", example: "12500" }),
    occurredAt: isoTime,
    dimensions: dimensionMap.optional().meta({ example: { model: "deepseek-r1", region: "cn-east" } }),
  })
  .strict()
  .meta({ id: "UsageEvent" });

export const ingestRequest = z
  .object({ events: z.array(usageEvent).min(1).max(limits.usageBatchEventsMax) })
  .strict()
  .meta({ id: "IngestUsageRequest" });

export const ingestResult = z
  .object({
    idempotencyKey: z.string(),
    status: z.enum(["accepted", "duplicate", "rejected"]),
    code: z.string().optional(),
    message: z.string().optional(),
    amount: z
      .string()
      .optional()
      .meta({ description: "The charge (prepaid) or accrual (postpaid) of an accepted event." }),
    currency: z.string().optional(),
  })
  .meta({ id: "UsageEventResult" });

export const ingestResponse = z
  .object({ object: z.literal("list"), results: z.array(ingestResult) })
  .meta({ id: "IngestUsageResponse" });

const tier = z
  .object({ upTo: z.string().nullable(), unitAmount: z.string(), flatAmount: z.string().optional() })
  .strict();

const priceCommon = {
  metric: z.string().min(1).max(64),
  dimensions: dimensionMap
    .optional()
    .meta({ description: "The price applies only to events with these values." }),
  freeAllowance: z
    .object({ quantity: z.string(), period: z.enum(["month", "day"]) })
    .strict()
    .optional(),
};

export const priceInput = z
  .discriminatedUnion("pricing", [
    z.object({ ...priceCommon, pricing: z.literal("per_unit"), unitAmount: z.string() }).strict(),
    z
      .object({
        ...priceCommon,
        pricing: z.literal("package"),
        packageSize: z.string(),
        packageAmount: z.string(),
        rounding: z.enum(["up", "down"]).default("up"),
      })
      .strict(),
    z
      .object({ ...priceCommon, pricing: z.literal("graduated"), tiers: z.array(tier).min(1).max(20) })
      .strict(),
    z.object({ ...priceCommon, pricing: z.literal("volume"), tiers: z.array(tier).min(1).max(20) }).strict(),
  ])
  .meta({ id: "Price" });

const insufficientBalance = z
  .discriminatedUnion("mode", [
    z.object({ mode: z.literal("reject") }).strict(),
    z.object({ mode: z.literal("allow_negative"), limit: decimalAmount }).strict(),
  ])
  .meta({
    id: "InsufficientBalancePolicy",
    description: "Prepaid only: refuse the event (default) or let the wallet go negative down to -limit.",
  });

const versionFields = {
  currency: z.string().length(3),
  effectiveFrom: isoTime.optional().meta({ description: "Default: now. Never in the past." }),
  prices: z.array(priceInput).min(1).max(limits.pricesPerRateCardMax),
  insufficientBalance: insufficientBalance.optional(),
};

export const createRateCardRequest = z
  .object({ name: z.string().trim().min(1).max(limits.nameLengthMax), ...versionFields })
  .strict()
  .meta({ id: "CreateRateCardRequest" });

export const publishVersionRequest = z
  .object(versionFields)
  .strict()
  .meta({ id: "PublishRateCardVersionRequest" });

export const rateCardVersion = z
  .object({
    version: z.number().int(),
    currency: z.string(),
    effectiveFrom: isoTime,
    publishedAt: isoTime,
    prices: z.array(z.record(z.string(), z.unknown())),
    insufficientBalance: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "RateCardVersion" });

export const rateCard = z
  .object({
    id: z.string(),
    object: z.literal("rate_card"),
    name: z.string(),
    environment: z.enum(["test", "live"]),
    createdAt: isoTime,
    latestVersion: z.number().int(),
    versions: z.array(rateCardVersion),
  })
  .meta({ id: "RateCard" });

export const rateCardParams = z.object({ rateCardId: z.string().min(1).max(64) });

export const versionList = z
  .object({ object: z.literal("list"), data: z.array(rateCardVersion) })
  .meta({ id: "RateCardVersionList" });

export const updateCustomerRequest = z
  .object({
    name: z.string().trim().min(1).max(limits.nameLengthMax).nullish(),
    email: z.email().max(limits.emailLengthMax).nullish(),
    rateCardId: z.string().min(1).max(64).nullish(),
    billingMode: z.enum(["prepaid", "postpaid"]).nullish(),
  })
  .strict()
  .meta({ id: "UpdateCustomerRequest" });

export const createMetricRequest = z
  .object({
    key: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, "lowercase letters, digits and _; starting with a letter"),
    name: z.string().trim().min(1).max(limits.nameLengthMax),
    unit: z.string().trim().min(1).max(40).default("unit"),
  })
  .strict()
  .meta({ id: "CreateMetricRequest" });

export const metric = z
  .object({
    object: z.literal("metric"),
    key: z.string(),
    name: z.string(),
    unit: z.string(),
    builtIn: z.boolean(),
  })
  .meta({ id: "Metric" });

export const metricList = z
  .object({ object: z.literal("list"), data: z.array(metric) })
  .meta({ id: "MetricList" });

export const usageSummaryQuery = z.object({
  from: isoTime.optional().meta({ description: "Default: start of the current calendar month (UTC)." }),
  to: isoTime.optional().meta({ description: "Exclusive. Default: now." }),
  groupBy: z
    .string()
    .regex(/^[A-Za-z0-9_.,-]*$/)
    .optional()
    .meta({ description: "Comma-separated dimension keys to group by, besides the metric." }),
});

export const usageSummary = z
  .object({
    object: z.literal("usage_summary"),
    customerExternalId: z.string(),
    from: isoTime,
    to: isoTime,
    groups: z.array(
      z.object({
        metric: z.string(),
        dimensions: z.record(z.string(), z.string()),
        quantity: z.string(),
        freeQuantity: z.string(),
        amount: z.string(),
        currency: z.string(),
        events: z.number().int(),
      }),
    ),
    allowances: z.array(
      z.object({
        metric: z.string(),
        dimensions: z.record(z.string(), z.string()),
        period: z.enum(["month", "day"]),
        periodStart: isoTime,
        included: z.string(),
        used: z.string(),
        remaining: z.string(),
      }),
    ),
  })
  .meta({ id: "UsageSummary" });

export const auditEntry = z
  .object({
    object: z.literal("audit_entry"),
    sequence: z.number().int(),
    at: isoTime,
    action: z.string(),
    entity: z.string(),
    by: z.record(z.string(), z.unknown()),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "AuditEntry" });

export const auditList = z
  .object({
    object: z.literal("list"),
    data: z.array(auditEntry),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "AuditLog" });

// CNY collection: top-ups, invoices, refunds, sandbox simulation.

const paymentStatus = z.enum([
  "created",
  "pending",
  "succeeded",
  "refunded",
  "failed",
  "closed",
  "paid_after_close",
]);

export const checkoutAction = z
  .union([
    z.object({ type: z.literal("qr_code"), codeUrl: z.string() }),
    z.object({ type: z.literal("jsapi"), prepayId: z.string(), payParams: z.record(z.string(), z.string()) }),
    z.object({ type: z.literal("redirect"), url: z.string() }),
    z.object({ type: z.literal("alipay_form"), url: z.string(), formHtml: z.string() }),
  ])
  .meta({
    id: "CheckoutAction",
    description:
      "What the buyer needs: a QR code to scan (wechat_native), wx.requestPayment parameters (wechat_jsapi), a page to open (wechat_h5, alipay_page, alipay_wap).",
  });

export const topUpRequest = z
  .object({
    amount: decimalAmount.meta({ description: "Yuan, whole fen: at most two decimals.", example: "100.00" }),
    channel: z.enum(collectionChannels),
    payerOpenId: z.string().min(1).max(128).optional().meta({ description: "Required for wechat_jsapi." }),
    clientIp: z
      .string()
      .min(1)
      .max(45)
      .optional()
      .meta({ description: "The payer's IP for wechat_h5; default: the caller's." }),
    returnUrl: z
      .url()
      .max(1_000)
      .optional()
      .meta({ description: "Where alipay_page / alipay_wap return the buyer." }),
  })
  .strict()
  .meta({ id: "TopUpRequest" });

export const topUp = z
  .object({
    object: z.literal("top_up"),
    invoiceId: z.string(),
    paymentId: z.string(),
    checkoutUrl: z.string().meta({ description: "The hosted checkout page for this invoice." }),
    amount: z.string(),
    currency: z.literal("CNY"),
    channel: z.enum(collectionChannels),
    expiresAt: isoTime,
    status: paymentStatus,
    action: checkoutAction.nullable(),
  })
  .meta({ id: "TopUp" });

export const invoiceParams = z.object({ invoiceId: z.string().min(1).max(64) });

const refundStatus = z.enum(["pending", "succeeded", "failed"]);

export const refund = z
  .object({
    id: z.string(),
    object: z.literal("refund"),
    invoiceId: z.string(),
    paymentId: z.string(),
    amount: z.string(),
    currency: z.literal("CNY"),
    reason: z.string().nullable(),
    status: refundStatus,
    createdAt: isoTime,
  })
  .meta({ id: "Refund" });

export const invoice = z
  .object({
    id: z.string(),
    object: z.literal("invoice"),
    customerExternalId: z.string(),
    purpose: z.literal("top_up"),
    status: z.enum(["open", "paid", "void"]),
    currency: z.literal("CNY"),
    amount: z.string(),
    lines: z.array(z.object({ description: z.string(), amount: z.string() })),
    checkoutUrl: z.string(),
    createdAt: isoTime,
    paidAt: isoTime.nullable(),
    voidedAt: isoTime.nullable(),
    voidReason: z.string().nullable(),
    payment: z.object({
      id: z.string(),
      status: paymentStatus,
      channel: z.enum(collectionChannels),
      expiresAt: isoTime,
      transactionId: z.string().nullable(),
      paidAt: isoTime.nullable(),
      channelFee: z.string().nullable(),
      platformFee: z.string().nullable(),
      netAmount: z.string().nullable().meta({ description: "What the merchant is owed: amount − fees." }),
      refundedAmount: z.string(),
      refundingAmount: z.string(),
      failure: z.object({ code: z.string(), message: z.string() }).nullable(),
      flags: z.array(
        z.object({
          reason: z.string(),
          transactionId: z.string(),
          amount: z.string(),
          currency: z.string(),
          refundId: z.string().nullable(),
          at: isoTime,
        }),
      ),
    }),
    refunds: z.array(refund),
  })
  .meta({ id: "Invoice" });

export const refundRequest = z
  .object({
    invoiceId: z.string().min(1).max(64),
    amount: decimalAmount.meta({ description: "Yuan, whole fen.", example: "30.00" }),
    reason: z.string().trim().min(1).max(limits.refundReasonLengthMax).optional(),
  })
  .strict()
  .meta({ id: "RefundRequest" });

export const simulatePaymentRequest = z
  .object({ outcome: z.enum(["succeeded", "failed", "expired"]) })
  .strict()
  .meta({ id: "SimulatePaymentRequest" });

const signedAmount = z
  .string()
  .regex(/^-?\d+\.\d{2,6}$/)
  .meta({
    id: "SignedDecimalAmount",
    description: "A ledger balance: a signed decimal string.",
    example: "98.40",
  });

export const balance = z
  .object({
    object: z.literal("balance"),
    environment: z.enum(["test", "live"]),
    ledgerSequence: z
      .number()
      .int()
      .meta({ description: "Every ledger record up to this sequence is included, and none after it." }),
    balances: z.array(
      z.object({
        currency: z.string(),
        payable: signedAmount.meta({
          description:
            "What the platform owes the merchant: paid top-ups net of channel and platform fees, less refunds.",
        }),
        unappliedPayments: signedAmount.meta({
          description: "Money paid after its order closed: not credited, held until refunded.",
        }),
        prepaidCreditSold: signedAmount.meta({
          description: "Wallet credit sold through top-ups (negative: the credit customers hold against it).",
        }),
        usageRevenue: signedAmount.meta({ description: "Usage charged to customers' wallets and invoices." }),
        promotions: signedAmount.meta({
          description: "Credit granted to customers for free (negative: the merchant's promotional spend).",
        }),
      }),
    ),
  })
  .meta({
    id: "Balance",
    description:
      "The merchant's ledger accounts per currency: each amount is the sum of the account's postings.",
  });
