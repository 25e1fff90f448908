import { z } from "zod";
import { collectionChannels } from "../domain/collection.js";
import { dimensionsProblem } from "../domain/dimensions.js";
import { limits } from "../domain/limits.js";

/** Request and response schemas: they validate requests and are the OpenAPI document's only source. */

export const decimalAmount = z
  .string()
  .regex(
    /^(0|[1-9]\d{0,14})(\.\d{1,6})?$/,
    'a non-negative decimal string, at most 15 digits before the point and 6 after, e.g. "12.50"',
  )
  .meta({
    id: "DecimalAmount",
    description: "Money as a decimal string in the currency's units.",
    example: "12.50",
  });

const controlOrLoneSurrogate =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const externalId = z
  .string()
  .min(1)
  .max(limits.externalIdLengthMax)
  .refine((v) => v !== "." && v !== "..", 'must not be "." or ".."')
  // Stored as UTF-8, a lone surrogate would become U+FFFD and two ids would meet; control
  // characters cannot be written in a URL path as they are.
  .refine((v) => !controlOrLoneSurrogate.test(v), "must be valid Unicode without control characters")
  .meta({ description: "The merchant's own id for the customer.", example: "user_42" });

const isoTime = z.string().meta({ format: "date-time", example: "2026-11-27T08:00:00.000Z" });

/** A time the client sends: RFC 3339 with its offset (domain/offsetTime.ts reads the same form). */
const validTime = z.iso
  .datetime({
    offset: true,
    error: "must be an RFC 3339 time with its offset, e.g. 2026-11-27T08:00:00Z or 2026-11-27T16:00:00+08:00",
  })
  .meta({ format: "date-time", example: "2026-11-27T08:00:00.000Z" });

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

export const merchantParams = z.object({ merchantId: z.string().min(1).max(64) });

export const rollApiKeyRequest = z
  .object({
    environment: z.enum(["test", "live"]),
    expiresInSeconds: z.number().int().min(0).max(limits.apiKeyRollOverlapSecondsMax).optional().meta({
      description:
        "How long the key being replaced keeps working, for moving running clients over. Default 0: it stops now.",
    }),
  })
  .strict()
  .meta({ id: "RollApiKeyRequest" });

export const rolledApiKey = z
  .object({
    object: z.literal("api_key"),
    merchantId: z.string(),
    environment: z.enum(["test", "live"]),
    apiKey: z.string().meta({ description: "Shown once; stored hashed." }),
    previousKeyExpiresAt: isoTime,
  })
  .meta({ id: "RolledApiKey" });

export const createCustomerRequest = z
  .object({
    externalId,
    name: z.string().trim().min(1).max(limits.nameLengthMax).nullish(),
    email: z.email().max(limits.emailLengthMax).nullish(),
    testClockId: z
      .string()
      .min(1)
      .max(64)
      .nullish()
      .meta({ description: "Sandbox only: the test clock whose time the customer lives on. Set once." }),
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
    testClockId: z.string().nullable().meta({ description: "Sandbox only: the customer's test clock." }),
    createdAt: isoTime,
  })
  .meta({ id: "Customer" });

export const externalIdParams = z.object({ externalId });

export const customerListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(limits.pageSizeMax).default(limits.pageSizeDefault),
  startingAfter: externalId.optional().meta({ description: "The nextCursor of the previous page." }),
});

export const customerList = z
  .object({
    object: z.literal("list"),
    data: z.array(customer),
    hasMore: z.boolean(),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: "The last customer's externalId, when there is more." }),
  })
  .meta({ id: "CustomerList" });
const reservationId = z.string().min(1).max(64);
export const reservationParams = z.object({ externalId, reservationId });

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
      "account_credit",
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

/** A page of a cursor-paginated list: `nextCursor` goes back as `startingAfter` for the next one. */
function listPageOf(item: z.ZodType, id: string, cursor: string) {
  return z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      hasMore: z.boolean(),
      nextCursor: z
        .string()
        .nullable()
        .meta({ description: `${cursor}, when there is more.` }),
    })
    .meta({ id });
}

export const reservationListQuery = listQuery.extend({
  startingAfter: reservationId.optional().meta({ description: "The nextCursor of the previous page." }),
});

export const reservationList = listPageOf(reservation, "ReservationList", "The last reservation's id");

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
    ratingCode: z
      .string()
      .optional()
      .meta({ description: "invalid_rate_card: the rating engine's own code." }),
    reservationStatus: z
      .string()
      .optional()
      .meta({ description: "reservation_not_active: the reservation's status now." }),
  })
  .loose()
  .meta({ id: "Problem", description: "RFC 9457 problem details; a code may add members of its own." });

/** A price's dimension filter, within the same bounds as an event's (domain/dimensions.ts). */
const dimensionMap = z.record(z.string(), z.string()).superRefine((dimensions, ctx) => {
  const problem = dimensionsProblem(dimensions);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
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
    occurredAt: isoTime.meta({
      description:
        "RFC 3339 with its offset (Z or ±hh:mm). Checked per event: a time without one rejects that event, not the batch.",
    }),
    dimensions: z
      .record(z.string(), z.string())
      .optional()
      .meta({
        description: `Checked per event: at most ${limits.dimensionsPerEventMax}, keys of 1–${limits.dimensionKeyLengthMax} letters, digits, _, . or -, values of at most ${limits.dimensionValueLengthMax} characters; an event beyond them is rejected (invalid_dimensions), not the batch.`,
        example: { model: "deepseek-r1", region: "cn-east" },
      }),
  })
  .strict()
  .meta({ id: "UsageEvent" });

export const ingestRequest = z
  .object({
    events: z.array(usageEvent).min(1).max(limits.usageBatchEventsMax).meta({
      description:
        "Each event is checked alone: one that does not fit UsageEvent is rejected with invalid_event (its message names the field), and the rest of the batch applies.",
    }),
  })
  .strict()
  .meta({ id: "IngestUsageRequest" });

/** What the ingest route parses: the batch's shape; each event is then parsed alone (usageEvent). */
export const ingestBatchShape = z
  .object({ events: z.array(z.unknown()).min(1).max(limits.usageBatchEventsMax) })
  .strict();

export const ingestResult = z
  .object({
    idempotencyKey: z.string(),
    status: z.enum(["accepted", "duplicate", "rejected"]),
    code: z.string().optional(),
    message: z.string().optional(),
    amount: z.string().optional().meta({
      description:
        "The charge (prepaid) or accrual (postpaid) of an accepted event, or of the event a duplicate repeats (when an earlier call applied it).",
    }),
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
  effectiveFrom: validTime.optional().meta({
    description:
      "When the version takes effect. A card's first version defaults to the start of time (it prices every event, however late); a later one defaults to now and may not be in the past or before the previous version.",
  }),
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

export const rateCardList = listPageOf(
  rateCard,
  "RateCardList",
  "The ledger sequence of the record that created the last rate card",
);

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
  from: validTime.optional().meta({
    description:
      "Default: start of the current calendar month in Beijing time (UTC+8), for a sandbox customer on a test clock the clock's month.",
  }),
  to: validTime.optional().meta({
    description:
      "Exclusive. Default: just past 5 minutes from now (a sandbox customer's test clock time), so every event accepted so far counts, including those sent up to 5 minutes ahead.",
  }),
  groupBy: z
    .union([z.string(), z.array(z.string()).max(limits.dimensionsPerEventMax)])
    .transform((value) => (Array.isArray(value) ? value.join(",") : value))
    .pipe(z.string().regex(/^[A-Za-z0-9_.,-]*$/))
    .optional()
    .meta({
      description:
        "Dimension keys to group by, besides the metric: comma-separated (groupBy=model,region) or repeated (groupBy=model&groupBy=region).",
    }),
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
      .union([z.ipv4(), z.ipv6()], { error: "an IPv4 or IPv6 address" })
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

export const invoicePayment = topUp.extend({ object: z.literal("invoice_payment") }).meta({
  id: "InvoicePayment",
  description: "A payment attempt started for a subscription or purchase invoice.",
});

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
    number: z
      .string()
      .nullable()
      .meta({ description: "Gapless per merchant and environment; top-up receipts have none." }),
    customerExternalId: z.string(),
    purpose: z.enum(["top_up", "subscription", "purchase"]),
    status: z.enum(["draft", "open", "paid", "void", "uncollectible"]),
    subscriptionId: z.string().nullable(),
    purchaseId: z.string().nullable(),
    periodStart: isoTime.nullable(),
    periodEnd: isoTime.nullable(),
    currency: z.literal("CNY"),
    subtotal: z.string().meta({ description: "The lines' sum." }),
    creditApplied: z
      .string()
      .meta({ description: "Account credit taken off (unused time after a downgrade)." }),
    total: z.string().meta({ description: "What is due: subtotal − credit applied." }),
    amount: z.string().meta({ description: "The same as total." }),
    lines: z.array(
      z.object({
        description: z.string(),
        amount: z.string(),
        kind: z.enum(["top_up", "subscription", "proration", "usage", "purchase"]).nullable(),
        quantity: z.string().nullable(),
        unitAmount: z.string().nullable(),
      }),
    ),
    checkoutUrl: z.string(),
    createdAt: isoTime,
    finalizedAt: isoTime.nullable(),
    dueAt: isoTime.nullable(),
    paidAt: isoTime.nullable(),
    voidedAt: isoTime.nullable(),
    voidReason: z.string().nullable(),
    refundedAmount: z.string(),
    payment: z
      .object({
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
        unappliedAmount: z.string().meta({
          description:
            "What of this payment sits in your unapplied payments (money the channel took that was not applied: paid after close, or a flagged wrong amount or second transaction), less what was refunded.",
        }),
        failure: z.object({ code: z.string(), message: z.string() }).nullable(),
        flags: z.array(
          z.object({
            reason: z.string(),
            transactionId: z.string(),
            amount: z.string(),
            currency: z.string(),
            refundId: z.string().nullable(),
            unapplied: z.boolean().meta({
              description: "Whether its amount (taken by the channel) was posted to your unapplied payments.",
            }),
            at: isoTime,
          }),
        ),
      })
      .nullable()
      .meta({ description: "The latest payment attempt; null until one is started." }),
    refunds: z.array(refund),
  })
  .meta({ id: "Invoice" });

export const refundRequest = z
  .object({
    invoiceId: z.string().min(1).max(64),
    paymentId: z.string().min(1).max(64).optional().meta({
      description:
        "Which payment of the invoice to refund; default its latest. Money that arrived on an earlier, closed attempt (paid after close, or held for a wrong amount) is refunded by naming that payment.",
    }),
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

// The product catalog and sandbox test clocks.

const objectId = z.string().min(1).max(64);

export const createProductRequest = z
  .object({
    name: z.string().trim().min(1).max(limits.nameLengthMax),
    nameZh: z
      .string()
      .trim()
      .min(1)
      .max(limits.nameLengthMax)
      .nullish()
      .meta({ description: "The name shown to Chinese-speaking customers." }),
    description: z.string().max(limits.productDescriptionLengthMax).nullish(),
  })
  .strict()
  .meta({ id: "CreateProductRequest" });

export const product = z
  .object({
    id: z.string(),
    object: z.literal("product"),
    name: z.string(),
    nameZh: z.string().nullable(),
    description: z.string().nullable(),
    createdAt: isoTime,
  })
  .meta({ id: "Product" });

export const productParams = z.object({ productId: objectId });

export const productList = z
  .object({
    object: z.literal("list"),
    data: z.array(product),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "ProductList" });

export const createPriceRequest = z
  .object({
    productId: objectId,
    type: z.enum(["recurring", "one_time"]).meta({
      description: '"recurring": billed every interval by a subscription; "one_time": bought once.',
    }),
    unitAmount: decimalAmount.meta({
      description: "Yuan, whole fen: at most two decimals.",
      example: "149.00",
    }),
    currency: z.literal("CNY").optional(),
    nickname: z.string().trim().min(1).max(limits.nameLengthMax).nullish(),
    interval: z
      .literal("month")
      .nullish()
      .meta({ description: "Recurring prices only, and required for them." }),
    refundWindowDays: z.number().int().min(0).max(limits.refundWindowDaysMax).nullish().meta({
      description: "One-time prices only: days after payment a purchase may be refunded (0: never).",
    }),
  })
  .strict()
  .meta({ id: "CreatePriceRequest" });

export const productPrice = z
  .object({
    id: z.string(),
    object: z.literal("price"),
    productId: z.string(),
    type: z.enum(["recurring", "one_time"]),
    unitAmount: z.string().meta({ example: "149.00" }),
    currency: z.literal("CNY"),
    nickname: z.string().nullable(),
    interval: z.literal("month").nullable(),
    refundWindowDays: z.number().int().nullable(),
    createdAt: isoTime,
  })
  .meta({
    id: "ProductPrice",
    description: "A product's price; immutable (create another to change it). Not a rate card's Price.",
  });

export const priceParams = z.object({ priceId: objectId });

export const priceListQuery = listQuery.extend({
  productId: objectId.optional().meta({ description: "Only this product's prices." }),
});

export const priceList = z
  .object({
    object: z.literal("list"),
    data: z.array(productPrice),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "ProductPriceList" });

export const createTestClockRequest = z
  .object({
    frozenTime: validTime.meta({ description: "The clock's starting time." }),
    name: z.string().trim().min(1).max(limits.nameLengthMax).nullish(),
  })
  .strict()
  .meta({ id: "CreateTestClockRequest" });

export const advanceTestClockRequest = z
  .object({
    frozenTime: validTime.meta({
      description: "The new time: after the current one, at most two years later.",
    }),
  })
  .strict()
  .meta({ id: "AdvanceTestClockRequest" });

export const testClock = z
  .object({
    id: z.string(),
    object: z.literal("test_clock"),
    name: z.string().nullable(),
    frozenTime: isoTime,
    status: z.enum(["ready", "advancing"]),
    createdAt: isoTime,
  })
  .meta({ id: "TestClock", description: "Sandbox only: simulated time for the customers created on it." });

export const testClockParams = z.object({ clockId: objectId });

export const invoiceListQuery = listQuery.extend({
  customerExternalId: externalId.optional(),
  subscriptionId: objectId.optional(),
  status: z.enum(["draft", "open", "paid", "void", "uncollectible"]).optional(),
});

export const invoiceList = z
  .object({
    object: z.literal("list"),
    data: z.array(invoice),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "InvoiceList" });

export const payInvoiceRequest = topUpRequest.omit({ amount: true }).meta({ id: "PayInvoiceRequest" });

export const createSubscriptionRequest = z
  .object({ customerExternalId: externalId, priceId: objectId })
  .strict()
  .meta({ id: "CreateSubscriptionRequest" });

export const changePlanRequest = z
  .object({
    priceId: objectId,
    downgrade: z.enum(["period_end", "immediately"]).default("period_end").meta({
      description:
        "For a cheaper price: at the period end (default), or at once with the unused time credited to the next invoice. An upgrade always takes effect at once, its prorated difference invoiced now.",
    }),
  })
  .strict()
  .meta({ id: "ChangePlanRequest" });

export const cancelSubscriptionRequest = z
  .object({ at: z.enum(["period_end", "immediately"]).default("period_end") })
  .strict()
  .meta({ id: "CancelSubscriptionRequest" });

export const subscriptionParams = z.object({ subscriptionId: objectId });

export const subscription = z
  .object({
    id: z.string(),
    object: z.literal("subscription"),
    customerExternalId: z.string(),
    productId: z.string(),
    priceId: z.string(),
    status: z.enum(["incomplete", "active", "past_due", "canceled"]),
    currentPeriodStart: isoTime,
    currentPeriodEnd: isoTime,
    cancelAtPeriodEnd: z.boolean(),
    canceledAt: isoTime.nullable(),
    cancelReason: z.string().nullable(),
    pendingChange: z.object({ priceId: z.string() }).nullable(),
    credit: z.string().meta({ description: "Account credit waiting for the next invoice." }),
    latestInvoiceId: z.string().nullable(),
    createdAt: isoTime,
  })
  .meta({ id: "Subscription" });

/** A customer's subscriptions or purchases: newest first, the cursor the last one's id. */
const customerObjectListQuery = listQuery.extend({
  customerExternalId: externalId,
  startingAfter: objectId.optional().meta({ description: "The nextCursor of the previous page." }),
});

export const subscriptionListQuery = customerObjectListQuery;

export const subscriptionList = z
  .object({
    object: z.literal("list"),
    data: z.array(subscription),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "SubscriptionList" });

export const purchaseListQuery = customerObjectListQuery;

export const createPurchaseRequest = z
  .object({ customerExternalId: externalId, priceId: objectId })
  .strict()
  .meta({ id: "CreatePurchaseRequest" });

export const purchaseParams = z.object({ purchaseId: objectId });

export const purchase = z
  .object({
    id: z.string(),
    object: z.literal("purchase"),
    customerExternalId: z.string(),
    productId: z.string(),
    priceId: z.string(),
    amount: z.string(),
    status: z.enum(["pending", "paid", "refunded", "canceled"]),
    invoiceId: z.string(),
    refundableUntil: isoTime.nullable(),
    paidAt: isoTime.nullable(),
    refundedAt: isoTime.nullable(),
    createdAt: isoTime,
  })
  .meta({ id: "Purchase" });

export const purchaseList = z
  .object({
    object: z.literal("list"),
    data: z.array(purchase),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "PurchaseList" });

export const refundPurchaseRequest = z
  .object({ reason: z.string().trim().min(1).max(limits.refundReasonLengthMax).optional() })
  .strict()
  .meta({ id: "RefundPurchaseRequest" });

export const entitlement = z
  .object({
    object: z.literal("entitlement"),
    productId: z.string(),
    priceId: z.string(),
    source: z.enum(["subscription", "purchase"]),
    sourceId: z.string(),
    grantedAt: isoTime,
    endsAt: isoTime.nullable().meta({ description: "Set when access is scheduled to end." }),
  })
  .meta({ id: "Entitlement" });

export const entitlementList = z
  .object({ object: z.literal("list"), data: z.array(entitlement) })
  .meta({ id: "EntitlementList" });

export const entitlementParams = z.object({ externalId, productId: objectId });

export const entitlementCheck = z
  .object({
    object: z.literal("entitlement_check"),
    productId: z.string(),
    hasAccess: z.boolean(),
    entitlement: entitlement.nullable(),
  })
  .meta({ id: "EntitlementCheck" });
