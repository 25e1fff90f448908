import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { eventApiVersion, eventTypes, reservationStatusOf, type EventType } from "../actors/index.js";
import { walletTransactionTypes } from "../machines/walletTransactionTypes.js";
import {
  customer,
  invoice,
  metric,
  purchase,
  rateCard,
  reservation,
  subscription,
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

/** A billing invoice as the API shows it, less what only a reader has (checkout URL, payment attempt). */
const eventInvoice = invoice
  .omit({ checkoutUrl: true, payment: true, refunds: true })
  .extend({
    purpose: z.enum(["subscription", "purchase"]),
    paymentId: z
      .string()
      .nullable()
      .meta({ description: "The payment that paid it; null until paid, or when nothing was due." }),
  })
  .meta({ id: "EventInvoice", description: "A billing invoice as of the event." });

const eventPayment = invoice.shape.payment
  .unwrap()
  .omit({ flags: true })
  .extend({
    object: z.literal("payment"),
    invoiceId: z.string(),
    customerExternalId: z.string(),
    amount: z.string(),
    currency: z.literal("CNY"),
    createdAt: isoTime,
  })
  .meta({
    id: "EventPayment",
    description:
      "A payment order (one attempt to pay an invoice, a top-up's or a billing one) as of the event.",
  });

const subscriptionUpdates = [
  "activated",
  "reactivated",
  "invoice_paid",
  "renewed",
  "past_due",
  "price_changed",
  "cancel_scheduled",
  "resumed",
] as const;

function subscriptionData(change: z.ZodType<string>) {
  return subscription.extend({ change: change.meta({ description: "What happened to it." }) });
}

const eventEntitlement = z
  .object({
    object: z.literal("entitlement"),
    customerExternalId: z.string(),
    productId: z.string(),
    priceId: z.string(),
    source: z.enum(["subscription", "purchase"]),
    sourceId: z.string().meta({ description: "The subscription or purchase that gives (or gave) access." }),
  })
  .meta({ id: "EventEntitlement", description: "Access to a product, granted or revoked." });

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
  "wallet.credit_received": walletData("wallet.credit_received"),
  "usage.recorded": usageData,
  "rate_card.created": rateCard,
  "rate_card.version_published": rateCard,
  "metric.created": metric,
  "webhook_endpoint.disabled": disabledEndpointData,
  "invoice.finalized": eventInvoice,
  "invoice.paid": eventInvoice,
  "invoice.voided": eventInvoice,
  "invoice.marked_uncollectible": eventInvoice.extend({ reason: z.string() }),
  "invoice.refunded": eventInvoice.extend({
    refund: z
      .object({ id: z.string(), amount: z.string() })
      .meta({ description: "This refund; `refundedAmount` is every refund's sum." }),
  }),
  "payment.succeeded": eventPayment,
  "payment.failed": eventPayment,
  "payment.refunded": eventPayment.extend({
    refund: z.object({
      id: z.string(),
      amount: z.string(),
      reason: z.string().nullable(),
      createdAt: isoTime,
    }),
  }),
  "subscription.created": subscriptionData(z.literal("created")),
  "subscription.updated": subscriptionData(z.enum(subscriptionUpdates)),
  "subscription.canceled": subscriptionData(z.literal("canceled")),
  "purchase.created": purchase,
  "purchase.paid": purchase,
  "purchase.refunded": purchase,
  "purchase.canceled": purchase,
  "entitlement.granted": eventEntitlement,
  "entitlement.revoked": eventEntitlement,
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
  "wallet.credit_received":
    "Account credit a subscription still held when it ended (unused time after a downgrade) was moved to the customer's wallet.",
  "usage.recorded":
    "Usage was charged (prepaid) or accrued (postpaid) to a wallet: one per wallet and record.",
  "rate_card.created": "A rate card was created; `versions` holds its first version.",
  "rate_card.version_published": "A rate card version was published; `versions` holds only it.",
  "metric.created": "A metric was created.",
  "webhook_endpoint.disabled": "A webhook endpoint was disabled, by hand or after failing for too long.",
  "invoice.finalized":
    "A subscription or purchase invoice was finalized: numbered, its lines and total fixed (a top-up's receipt has `wallet.topped_up`).",
  "invoice.paid": "A billing invoice was paid (or finalized with nothing due).",
  "invoice.voided": "A finalized billing invoice was voided.",
  "invoice.marked_uncollectible": "A billing invoice was given up on after dunning.",
  "invoice.refunded": "Part or all of a paid billing invoice was refunded.",
  "payment.succeeded": "A payment (of a top-up or a billing invoice) succeeded at its channel.",
  "payment.failed": "A payment ended unpaid: failed at its channel, closed or expired.",
  "payment.refunded": "The channel paid a refund of a payment out.",
  "subscription.created": "A subscription was created (incomplete until its first invoice is paid).",
  "subscription.updated":
    "A subscription changed; `change` says how: activated, renewed, past_due, price_changed, cancel_scheduled, ….",
  "subscription.canceled": "A subscription was canceled: on request, unpaid, or its first invoice expired.",
  "purchase.created": "A one-time purchase was created, with its invoice.",
  "purchase.paid": "A one-time purchase was paid.",
  "purchase.refunded": "A one-time purchase was refunded.",
  "purchase.canceled": "A one-time purchase was canceled before it was paid.",
  "entitlement.granted":
    "A customer gained access to a product: a subscription became active, or a purchase was paid.",
  "entitlement.revoked":
    "A customer lost access to a product: a subscription that had access was canceled, or a purchase was refunded.",
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
