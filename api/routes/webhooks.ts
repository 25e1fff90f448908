import { z } from "zod";
import {
  eventTypes,
  type ReplayPlan,
  type Runtime,
  type WebhookDelivery,
  type WebhookEndpoint,
} from "../../actors/index.js";
import { DomainError } from "../../domain/errors.js";
import { limits } from "../../domain/limits.js";
import { parseOffsetTime } from "../../domain/offsetTime.js";
import { actorOf, merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import { billingEvent } from "../eventSchemas.js";
import { emptyRequest, webhookEndpoint, webhookEndpointFields as endpointFields } from "../schemas.js";

const iso = (ms: number) => new Date(ms).toISOString();
const isoTime = z.string().meta({ format: "date-time", example: "2026-11-27T08:00:00.000Z" });
const eventType = z.enum(eventTypes, { error: `one of ${eventTypes.join(", ")}` });

const createEndpointRequest = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "an http or https URL" }).max(limits.webhookUrlLengthMax),
    eventTypes: z
      .array(z.enum(["*", ...eventTypes], { error: `"*" or one of ${eventTypes.join(", ")}` }))
      .min(1)
      .max(limits.webhookEventTypesMax)
      .refine((types) => !types.includes("*") || types.length === 1, '"*" stands alone')
      .meta({ description: 'Event types to receive, or ["*"] for all.' }),
    description: z.string().trim().max(limits.reasonLengthMax).nullish(),
  })
  .strict()
  .meta({ id: "CreateWebhookEndpointRequest" });

const updateEndpointRequest = z
  .object({
    url: createEndpointRequest.shape.url.optional(),
    eventTypes: createEndpointRequest.shape.eventTypes.optional(),
    description: createEndpointRequest.shape.description,
  })
  .strict()
  .meta({ id: "UpdateWebhookEndpointRequest" });

const deletedEndpoint = z
  .object({ id: z.string(), object: z.literal("webhook_endpoint"), deleted: z.literal(true) })
  .meta({ id: "DeletedWebhookEndpoint" });

const endpointWithSecret = z
  .object({
    ...endpointFields,
    secret: z.string().meta({ description: "whsec_…: shown only now. Verify signatures with it." }),
  })
  .meta({ id: "WebhookEndpointWithSecret" });
const endpointList = z
  .object({ object: z.literal("list"), data: z.array(webhookEndpoint) })
  .meta({ id: "WebhookEndpointList" });

const attempt = z
  .object({
    at: isoTime,
    statusCode: z.number().int().nullable(),
    error: z.string().nullable().meta({ description: "timeout, connection_refused, … when no status came." }),
    latencyMs: z.number().int(),
    responseExcerpt: z.string().meta({ description: "At most 1 KB of the response body." }),
  })
  .meta({ id: "WebhookAttempt" });
const deliveryFields = {
  id: z.string(),
  object: z.literal("webhook_delivery"),
  endpointId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  sequence: z.number().int(),
  status: z.enum(["pending", "succeeded", "failed"]),
  replay: z.boolean(),
  attemptCount: z.number().int(),
  nextAttemptAt: isoTime.nullable(),
  createdAt: isoTime,
};
const delivery = z
  .object({
    ...deliveryFields,
    attempts: z.array(attempt).meta({ description: "The latest 50, oldest first." }),
  })
  .meta({ id: "WebhookDelivery" });
const deliverySummary = z
  .object({ ...deliveryFields, lastAttempt: attempt.nullable() })
  .meta({ id: "WebhookDeliverySummary" });
const deliveryList = z
  .object({
    object: z.literal("list"),
    data: z.array(deliverySummary),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "WebhookDeliveryList" });

const replayRequest = z
  .object({
    eventTypes: z.array(eventType).min(1).max(limits.webhookEventTypesMax).optional(),
    from: isoTime.optional().meta({ description: "Events at or after this time." }),
    to: isoTime.optional().meta({ description: "Events before this time." }),
    fromSequence: z.number().int().min(1).optional(),
    toSequence: z.number().int().min(1).optional(),
  })
  .strict()
  .meta({ id: "ReplayWebhookEventsRequest" });
const replayResult = z
  .object({
    object: z.literal("webhook_replay"),
    endpointId: z.string(),
    deliveries: z.number().int().meta({ description: "Deliveries created (at most 1,000 per call)." }),
    fromSequence: z.number().int(),
    throughSequence: z.number().int().meta({ description: "Continue with fromSequence = this + 1." }),
    hasMore: z.boolean(),
  })
  .meta({ id: "WebhookReplay" });

const endpointParams = z.object({ endpointId: z.string().min(1).max(64) });
const deliveryParams = z.object({ deliveryId: z.string().min(1).max(64) });
const deliveryQuery = z.object({
  status: z.enum(["pending", "succeeded", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(limits.pageSizeMax).default(limits.pageSizeDefault),
  startingAfter: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .meta({ description: "The nextCursor of the previous page." }),
  eventType: eventType.optional(),
  eventId: z.string().min(1).max(64).optional().meta({ description: "evt_<sequence>_<n>." }),
});

const endpointHealth = z
  .object({
    object: z.literal("webhook_endpoint_health"),
    endpointId: z.string(),
    consecutiveFailures: z.number().int().meta({ description: "Failed attempts since the last success." }),
    failingSince: isoTime.nullable().meta({ description: "The first failure of the current streak." }),
    lastSucceededAt: isoTime
      .nullable()
      .meta({ description: "The latest success among the newest 100 succeeded deliveries." }),
  })
  .meta({ id: "WebhookEndpointHealth" });

function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    object: "webhook_endpoint" as const,
    url: e.url,
    eventTypes: e.eventTypes,
    description: e.description,
    environment: e.env,
    status: e.status,
    disabledReason: e.disabledReason,
    createdAt: iso(e.createdAt),
  };
}

function deliverySummaryView(d: WebhookDelivery) {
  const attemptView = (a: WebhookDelivery["attempts"][number]) => ({ ...a, at: iso(a.at) });
  const last = d.attempts[d.attempts.length - 1];
  return {
    id: d.id,
    object: "webhook_delivery" as const,
    endpointId: d.endpointId,
    eventId: d.eventId,
    eventType: d.eventType,
    sequence: d.sequence,
    status: d.status,
    replay: d.replay,
    attemptCount: d.attemptCount,
    nextAttemptAt: d.nextAttemptAt === null ? null : iso(d.nextAttemptAt),
    createdAt: iso(d.createdAt),
    lastAttempt: last ? attemptView(last) : null,
    attempts: d.attempts.map(attemptView),
  };
}

const deliveryView = (d: WebhookDelivery) => {
  const { lastAttempt: _last, ...view } = deliverySummaryView(d);
  return view;
};

function parseTime(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseOffsetTime(text);
  if (Number.isNaN(ms)) {
    throw new DomainError(
      "invalid_request",
      `${field} must be an RFC 3339 time with its offset, e.g. 2026-11-27T08:00:00Z`,
    );
  }
  return ms;
}

export function webhookOperations(runtime: Runtime): Operation[] {
  const withSecret = (status: number) => (r: { endpoint: WebhookEndpoint; secret: string }) => ({
    status,
    body: { ...endpointView(r.endpoint), secret: r.secret },
  });
  // The stored response of an idempotent retry keeps the secret sealed.
  const storedWithSecret = (ctx: Parameters<typeof storedWith>[0], status: number) =>
    storedWith(ctx, (r: { endpoint: WebhookEndpoint; secret: string }) =>
      runtime.idempotency.sealing(withSecret(status)(r), ["secret"]),
    );
  const asEndpoint = (e: WebhookEndpoint) => ({ status: 200, body: endpointView(e) });
  const toggle = (enabled: boolean) =>
    operation({
      operationId: enabled ? "enableWebhookEndpoint" : "disableWebhookEndpoint",
      method: "post",
      path: `/v1/webhook-endpoints/{endpointId}/${enabled ? "enable" : "disable"}`,
      summary: enabled
        ? "Enable an endpoint: events from now on are delivered, and its pending deliveries resume."
        : "Disable an endpoint: nothing is sent to it; events while disabled can be replayed later.",
      tag: "Webhooks",
      auth: "merchant",
      params: endpointParams,
      body: emptyRequest,
      response: webhookEndpoint,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const endpoint = await runtime.webhooks.endpoints.setEnabled(
          env,
          merchantId,
          params.endpointId,
          enabled,
          actorOf(ctx),
          { reason: "manual", idempotency: storedWith(ctx, asEndpoint) },
        );
        return asEndpoint(endpoint);
      },
    });

  return [
    operation({
      operationId: "createWebhookEndpoint",
      method: "post",
      path: "/v1/webhook-endpoints",
      summary:
        "Register an http(s) URL for events (https in live; never a private address); the signing secret is shown only in this response.",
      tag: "Webhooks",
      auth: "merchant",
      body: createEndpointRequest,
      response: endpointWithSecret,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const input = { url: body.url, eventTypes: body.eventTypes, description: body.description ?? null };
        const created = await runtime.webhooks.endpoints.create(
          env,
          merchantId,
          input,
          actorOf(ctx),
          storedWithSecret(ctx, 201),
        );
        return withSecret(201)(created);
      },
    }),
    operation({
      operationId: "listWebhookEndpoints",
      method: "get",
      path: "/v1/webhook-endpoints",
      summary: "Your webhook endpoints in this environment, oldest first.",
      tag: "Webhooks",
      auth: "merchant",
      response: endpointList,
      status: 200,
      handle: async (ctx) => {
        const { env, merchantId } = merchantOf(ctx);
        const data = runtime.webhooks.endpoints.list(env, merchantId).map(endpointView);
        return { status: 200, body: { object: "list", data } };
      },
    }),
    operation({
      operationId: "retrieveWebhookEndpoint",
      method: "get",
      path: "/v1/webhook-endpoints/{endpointId}",
      summary: "Retrieve a webhook endpoint (never its secret).",
      tag: "Webhooks",
      auth: "merchant",
      params: endpointParams,
      response: webhookEndpoint,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        return asEndpoint(runtime.webhooks.endpoints.require(env, merchantId, params.endpointId));
      },
    }),
    operation({
      operationId: "updateWebhookEndpoint",
      method: "patch",
      path: "/v1/webhook-endpoints/{endpointId}",
      summary:
        "Change an endpoint's URL, event types or description; its secret stays. Members left out are kept.",
      tag: "Webhooks",
      auth: "merchant",
      params: endpointParams,
      body: updateEndpointRequest,
      response: webhookEndpoint,
      status: 200,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const changes = {
          ...(body.url === undefined ? {} : { url: body.url }),
          ...(body.eventTypes === undefined ? {} : { eventTypes: body.eventTypes }),
          ...(body.description === undefined ? {} : { description: body.description }),
        };
        const endpoint = await runtime.webhooks.endpoints.update(
          env,
          merchantId,
          params.endpointId,
          changes,
          actorOf(ctx),
          storedWith(ctx, asEndpoint),
        );
        return asEndpoint(endpoint);
      },
    }),
    operation({
      operationId: "deleteWebhookEndpoint",
      method: "delete",
      path: "/v1/webhook-endpoints/{endpointId}",
      summary:
        "Delete an endpoint: nothing more is sent to it and it no longer counts towards the limit of 16. The ledger keeps its history.",
      tag: "Webhooks",
      auth: "merchant",
      params: endpointParams,
      response: deletedEndpoint,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const deleted = (e: WebhookEndpoint) => ({
          status: 200,
          body: { id: e.id, object: "webhook_endpoint" as const, deleted: true as const },
        });
        const endpoint = await runtime.webhooks.endpoints.delete(
          env,
          merchantId,
          params.endpointId,
          actorOf(ctx),
          storedWith(ctx, deleted),
        );
        return deleted(endpoint);
      },
    }),
    operation({
      operationId: "rotateWebhookEndpointSecret",
      method: "post",
      path: "/v1/webhook-endpoints/{endpointId}/rotate-secret",
      summary:
        "A new signing secret, shown once. For 24 hours the old one signs too: both signatures are sent.",
      tag: "Webhooks",
      auth: "merchant",
      params: endpointParams,
      body: emptyRequest,
      response: endpointWithSecret,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const rotated = await runtime.webhooks.endpoints.rotateSecret(
          env,
          merchantId,
          params.endpointId,
          actorOf(ctx),
          storedWithSecret(ctx, 200),
        );
        return withSecret(200)(rotated);
      },
    }),
    toggle(false),
    toggle(true),
    operation({
      operationId: "replayWebhookEvents",
      method: "post",
      path: "/v1/webhook-endpoints/{endpointId}/replay",
      summary:
        "Send the endpoint's events in a range of time or ledger sequence again (at most 1,000 per call).",
      tag: "Webhooks",
      auth: "merchant",
      params: endpointParams,
      body: replayRequest,
      response: replayResult,
      status: 202,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const render = (plan: ReplayPlan) => ({
          status: 202,
          body: {
            object: "webhook_replay" as const,
            endpointId: params.endpointId,
            deliveries: plan.deliveries.length,
            fromSequence: plan.fromSequence,
            throughSequence: plan.throughSequence,
            hasMore: plan.hasMore,
          },
        });
        const filter = {
          eventTypes: body.eventTypes,
          fromSequence: body.fromSequence,
          toSequence: body.toSequence,
          from: parseTime(body.from, "from"),
          to: parseTime(body.to, "to"),
        };
        const plan = await runtime.webhooks.replay(
          env,
          merchantId,
          params.endpointId,
          filter,
          storedWith(ctx, render),
        );
        return render(plan);
      },
    }),
    operation({
      operationId: "listWebhookDeliveries",
      method: "get",
      path: "/v1/webhook-endpoints/{endpointId}/deliveries",
      summary: "Deliveries to an endpoint, newest first, with their latest attempt.",
      tag: "Webhooks",
      auth: "merchant",
      params: endpointParams,
      query: deliveryQuery,
      response: deliveryList,
      status: 200,
      handle: async (ctx, { params, query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const endpoint = runtime.webhooks.endpoints.require(env, merchantId, params.endpointId);
        const page = await runtime.webhooks.listDeliveries(endpoint, query);
        const data = page.deliveries.map((d) => {
          const { attempts: _attempts, ...summary } = deliverySummaryView(d);
          return summary;
        });
        return {
          status: 200,
          body: { object: "list", data, hasMore: page.hasMore, nextCursor: page.nextCursor },
        };
      },
    }),
    operation({
      operationId: "retrieveWebhookEndpointHealth",
      method: "get",
      path: "/v1/webhook-endpoints/{endpointId}/health",
      summary: "How the endpoint is doing: its current failure streak and its latest success.",
      tag: "Webhooks",
      auth: "merchant",
      params: endpointParams,
      response: endpointHealth,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const endpoint = runtime.webhooks.endpoints.require(env, merchantId, params.endpointId);
        const health = await runtime.webhooks.store.health(endpoint.id);
        const succeeded = await runtime.webhooks.listDeliveries(endpoint, {
          limit: limits.pageSizeMax,
          status: "succeeded",
        });
        const successes = succeeded.deliveries.map((d) => d.attempts[d.attempts.length - 1]?.at ?? 0);
        const lastSucceededAt = successes.length > 0 ? Math.max(...successes) : 0;
        const body = {
          object: "webhook_endpoint_health" as const,
          endpointId: endpoint.id,
          consecutiveFailures: health.consecutiveFailures,
          failingSince: health.failingSince === null ? null : iso(health.failingSince),
          lastSucceededAt: lastSucceededAt > 0 ? iso(lastSucceededAt) : null,
        };
        return { status: 200, body };
      },
    }),
    operation({
      operationId: "retrieveWebhookDeliveryEvent",
      method: "get",
      path: "/v1/webhook-deliveries/{deliveryId}/event",
      summary: "The event a delivery sends: the body of each of its requests.",
      tag: "Webhooks",
      auth: "merchant",
      params: deliveryParams,
      response: billingEvent,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const found = await runtime.webhooks.delivery(env, merchantId, params.deliveryId);
        const body = await runtime.webhooks.bodyOf(found);
        if (body === undefined) {
          throw new DomainError("webhook_delivery_not_found", `the event of ${found.id} is gone`);
        }
        return { status: 200, body: JSON.parse(body) as unknown };
      },
    }),
    operation({
      operationId: "retrieveWebhookDelivery",
      method: "get",
      path: "/v1/webhook-deliveries/{deliveryId}",
      summary: "A delivery with its attempts: status code or error, latency and response excerpt.",
      tag: "Webhooks",
      auth: "merchant",
      params: deliveryParams,
      response: delivery,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        return {
          status: 200,
          body: deliveryView(await runtime.webhooks.delivery(env, merchantId, params.deliveryId)),
        };
      },
    }),
    operation({
      operationId: "retryWebhookDelivery",
      method: "post",
      path: "/v1/webhook-deliveries/{deliveryId}/retry",
      summary: "Send a delivery again now; if that fails it is retried on the usual schedule.",
      tag: "Webhooks",
      auth: "merchant",
      params: deliveryParams,
      body: emptyRequest,
      response: delivery,
      status: 202,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const render = (d: WebhookDelivery) => ({ status: 202, body: deliveryView(d) });
        return render(
          await runtime.webhooks.retry(env, merchantId, params.deliveryId, storedWith(ctx, render)),
        );
      },
    }),
  ];
}
