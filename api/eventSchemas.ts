import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { eventApiVersion, eventTypes, type EventType } from "../actors/index.js";
import { walletTransactionTypes } from "../machines/walletTransactionTypes.js";
import {
  customer,
  metric,
  rateCard,
  reservation,
  wallet,
  walletTransaction,
  webhookEndpoint,
} from "./schemas.js";

/**
 * The event catalogue as published: the envelope every event shares, and each type's versioned
 * `data` (actors/eventPayloads.ts builds it), reusing the API's view schemas where it has their shape.
 * The list of types is the catalogue's own (actors/events.ts); `eventDataSchemas` must name each.
 */

const isoTime = z.string().meta({ format: "date-time", example: "2026-11-27T08:00:00.000Z" });

const envelope = {
  id: z.string().meta({ description: "evt_<sequence>_<n>: stable; the webhook-id header." }),
  object: z.literal("event"),
  apiVersion: z.string().meta({
    description: "The version of the `data` shape; a breaking change to it gets a new one.",
    example: eventApiVersion,
  }),
  sequence: z.number().int().meta({ description: "The ledger record the event comes from." }),
  createdAt: isoTime,
  environment: z.enum(["test", "live"]),
};

/** Any event: what the feed streams and a delivery's event reads as. */
export const billingEvent = z
  .object({
    id: envelope.id,
    object: envelope.object,
    type: z.enum(eventTypes),
    apiVersion: envelope.apiVersion,
    sequence: envelope.sequence,
    createdAt: envelope.createdAt,
    environment: envelope.environment,
    data: z
      .record(z.string(), z.unknown())
      .meta({ description: "Shaped like the API's view of the object; see each event type's schema." }),
  })
  .meta({ id: "Event" });

type WalletEventType = Extract<EventType, `wallet.${string}`>;

/** A wallet command's event: the wallet after it and the transaction it recorded. */
function walletData(type: WalletEventType) {
  return z.object({
    wallet,
    transaction: walletTransaction
      .omit({ charges: true })
      .extend({ type: z.literal(walletTransactionTypes[type]) }),
  });
}

const reservationStatusOf = {
  "wallet.reserved": "active",
  "wallet.captured": "captured",
  "wallet.released": "released",
  "wallet.expired": "expired",
} as const;

/** A reservation command's event: also the reservation as the command left it. */
function reservationData(type: keyof typeof reservationStatusOf) {
  return walletData(type).extend({
    reservation: reservation.extend({ status: z.literal(reservationStatusOf[type]) }),
  });
}

export const usageCharge = z
  .object({
    eventKey: z.string().meta({ description: "The usage event's idempotency key." }),
    metric: z.string(),
    quantity: z.string(),
    freeQuantity: z.string().meta({ description: "The part of `quantity` a free allowance covered." }),
    dimensions: z.record(z.string(), z.string()),
    occurredAt: isoTime,
    amount: z.string(),
    currency: z.string(),
    rateCardId: z.string().nullable(),
    rateCardVersion: z.number().int().nullable(),
  })
  .meta({ id: "UsageCharge", description: "One usage event behind a usage transaction." });

const usageData = z.object({
  wallet,
  transaction: walletTransaction.extend({
    type: z.enum(["usage", "usage_accrual"]),
    charges: z.array(usageCharge),
  }),
});

const disabledEndpointData = webhookEndpoint.extend({
  status: z.literal("disabled"),
  disabledReason: z.enum(["manual", "failing"]),
});

/** Each event type's `data`: a type missing here fails to compile. */
export const eventDataSchemas = {
  "customer.created": customer,
  "customer.updated": customer,
  "wallet.granted": walletData("wallet.granted"),
  "wallet.debited": walletData("wallet.debited"),
  "wallet.reserved": reservationData("wallet.reserved"),
  "wallet.captured": reservationData("wallet.captured"),
  "wallet.released": reservationData("wallet.released"),
  "wallet.expired": reservationData("wallet.expired"),
  "wallet.frozen": walletData("wallet.frozen"),
  "wallet.unfrozen": walletData("wallet.unfrozen"),
  "wallet.topped_up": walletData("wallet.topped_up"),
  "wallet.top_up_refunded": walletData("wallet.top_up_refunded"),
  "wallet.refund_restored": walletData("wallet.refund_restored"),
  "usage.recorded": usageData,
  "rate_card.created": rateCard,
  "rate_card.version_published": rateCard,
  "metric.created": metric,
  "webhook_endpoint.disabled": disabledEndpointData,
} satisfies Record<EventType, z.ZodType>;

const summaries: Record<EventType, string> = {
  "customer.created": "A customer was created.",
  "customer.updated": "A customer's name, email, rate card or billing mode changed.",
  "wallet.granted": "Credit was granted to a wallet.",
  "wallet.debited": "A wallet was debited.",
  "wallet.reserved": "An amount of a wallet was reserved.",
  "wallet.captured": "A reservation was captured (the rest released).",
  "wallet.released": "A reservation was released.",
  "wallet.expired": "A reservation expired and was released.",
  "wallet.frozen": "A wallet was frozen: it refuses debits and reservations.",
  "wallet.unfrozen": "A wallet was unfrozen.",
  "wallet.topped_up": "A paid top-up was credited to a wallet.",
  "wallet.top_up_refunded": "A refund of a top-up was taken from a wallet.",
  "wallet.refund_restored": "A failed refund's credit was restored to a wallet.",
  "usage.recorded":
    "Usage was charged (prepaid) or accrued (postpaid) to a wallet: one per wallet and record.",
  "rate_card.created": "A rate card was created; `versions` holds its first version.",
  "rate_card.version_published": "A rate card version was published; `versions` holds only it.",
  "metric.created": "A metric was created.",
  "webhook_endpoint.disabled": "A webhook endpoint was disabled, by hand or after failing for too long.",
};

/** "wallet.top_up_refunded" → "WalletTopUpRefundedEvent". */
export function eventSchemaName(type: EventType): string {
  const words = type.split(/[._]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return `${words.join("")}Event`;
}

function eventSchemaOf<T extends EventType>(type: T) {
  return z
    .object({
      id: envelope.id,
      object: envelope.object,
      type: z.literal(type),
      apiVersion: z.literal(eventApiVersion).meta({ description: "The version of this `data` shape." }),
      sequence: envelope.sequence,
      createdAt: envelope.createdAt,
      environment: envelope.environment,
      data: eventDataSchemas[type],
    })
    .meta({ id: eventSchemaName(type), description: summaries[type] });
}

/** Each event type's full schema, envelope and `data`, registered as a component. */
export const eventSchemas = Object.fromEntries(eventTypes.map((type) => [type, eventSchemaOf(type)])) as {
  [T in EventType]: ReturnType<typeof eventSchemaOf<T>>;
};

const deliveryHeaders = z.object({
  "webhook-id": z.string().meta({ description: "The event's id: the same on every retry; dedupe on it." }),
  "webhook-timestamp": z.string().meta({ description: "Unix seconds when this attempt was signed." }),
  "webhook-signature": z.string().meta({
    description:
      "Space-separated `v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>`, one per active secret of the endpoint.",
  }),
});

/** OpenAPI 3.1 `webhooks`: one entry per event type, the POST an endpoint receives. */
export function eventWebhooks(): ZodOpenApiPathsObject {
  const webhooks: ZodOpenApiPathsObject = {};
  for (const type of eventTypes) {
    webhooks[type] = {
      post: {
        operationId: `event_${type}`,
        summary: summaries[type],
        description:
          "Delivered to every enabled endpoint subscribed to this type (or `*`) as a Standard Webhooks " +
          "POST with the headers `webhook-id` (the event id), `webhook-timestamp` and `webhook-signature`. " +
          "Verify the signature with the endpoint's secret and reject stale timestamps. Any 2xx " +
          "acknowledges the delivery; anything else, or no answer in time, is retried with backoff.",
        tags: ["Events"],
        requestParams: { header: deliveryHeaders },
        requestBody: { required: true, content: { "application/json": { schema: eventSchemas[type] } } },
        responses: {
          "200": { description: "Received: any 2xx status acknowledges the delivery." },
        },
      },
    };
  }
  return webhooks;
}
