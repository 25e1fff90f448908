import type { Decimal } from "decimal.js";
import type { z } from "zod";
import {
  RateCardDirectory,
  type InvalidUsageEvent,
  type Runtime,
  type UsageEventInput,
  type UsageEventResult,
} from "../../actors/index.js";
import { limits } from "../../domain/limits.js";
import { DomainError } from "../../domain/errors.js";
import { formatMicros } from "../../domain/money.js";
import {
  periodStart,
  priceKey,
  RatingDecimal,
  ratingPeriodOf,
  usagePeriodAnchorMs,
} from "../../domain/rating/index.js";
import { merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import {
  externalIdParams,
  ingestBatchShape,
  ingestRequest,
  ingestResponse,
  usageEvent,
  usageSummary,
  usageSummaryQuery,
} from "../schemas.js";

/** One item of a batch, parsed alone: an event, or why it is not one. */
function eventOrInvalid(item: unknown): UsageEventInput | InvalidUsageEvent {
  const parsed = usageEvent.safeParse(item);
  if (parsed.success) return parsed.data;
  const key = (item as { idempotencyKey?: unknown } | null)?.idempotencyKey;
  const idempotencyKey = typeof key === "string" && key.length <= limits.idempotencyKeyLengthMax ? key : "";
  const invalid = parsed.error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
  return { invalid, idempotencyKey };
}

function resultView(result: UsageEventResult) {
  if (result.status === "rejected") return result;
  const { idempotencyKey, status, currency, chargeMicros } = result;
  if (chargeMicros === undefined) return { idempotencyKey, status };
  return { idempotencyKey, status, currency, amount: formatMicros(chargeMicros) };
}

export function usageOperations(runtime: Runtime): Operation[] {
  return [
    operation({
      operationId: "ingestUsageEvents",
      method: "post",
      path: "/v1/usage-events",
      summary:
        "Ingest 1–500 usage events. Each is deduplicated forever by its idempotencyKey; accepted events are charged (prepaid) or accrued (postpaid) and durable before the response.",
      tag: "Usage",
      auth: "merchant",
      body: ingestRequest,
      parseBody: ingestBatchShape,
      response: ingestResponse,
      status: 200,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        // Rendered once: a batch that stores its response (Idempotency-Key) sends exactly that one.
        let rendered: { status: number; body: unknown } | undefined;
        const render = (results: UsageEventResult[]) =>
          (rendered ??= { status: 200, body: { object: "list", results: results.map(resultView) } });
        const items = (body as unknown as z.output<typeof ingestBatchShape>).events.map(eventOrInvalid);
        return render(await runtime.usage.ingest(env, merchantId, items, storedWith(ctx, render)));
      },
    }),
    operation({
      operationId: "retrieveUsageSummary",
      method: "get",
      path: "/v1/customers/{externalId}/usage",
      summary:
        "Usage per metric (and any dimensions you group by) in a period, with free allowances used and left.",
      tag: "Usage",
      auth: "merchant",
      params: externalIdParams,
      query: usageSummaryQuery,
      response: usageSummary,
      status: 200,
      handle: async (ctx, { params, query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const customer = await runtime.customers.require(env, merchantId, params.externalId);
        // The customer's now: a sandbox customer on a test clock lives at the clock's time.
        const now = await runtime.billing.nowFor(customer);
        const from = query.from ? Date.parse(query.from) : periodStart("month", now, usagePeriodAnchorMs);
        // By default every event accepted so far, including those sent up to 5 minutes ahead (the
        // allowances count them too).
        const to = query.to ? Date.parse(query.to) : now + limits.usageFutureToleranceMs + 1;
        if (Number.isNaN(from) || Number.isNaN(to) || from > to) {
          throw new DomainError(
            "invalid_request",
            "from and to must be RFC 3339 times with their offsets, from ≤ to",
          );
        }
        const groupBy = (query.groupBy ?? "").split(",").filter(Boolean);
        const facts = await runtime.wallets.usageFacts(customer, from);
        const groups = new Map<
          string,
          {
            metric: string;
            dimensions: Record<string, string>;
            quantity: Decimal;
            free: Decimal;
            amount: bigint;
            currency: string;
            events: number;
          }
        >();
        for (const fact of facts) {
          const usage = fact.usage;
          if (!usage || usage.occurredAt < from || usage.occurredAt >= to) continue;
          const dimensions = Object.fromEntries(
            groupBy.filter((k) => k in usage.dimensions).map((k) => [k, usage.dimensions[k] ?? ""]),
          );
          const key = JSON.stringify([usage.metric, usage.currency, dimensions]);
          const group = groups.get(key) ?? {
            metric: usage.metric,
            dimensions,
            quantity: new RatingDecimal(0),
            free: new RatingDecimal(0),
            amount: 0n,
            currency: usage.currency,
            events: 0,
          };
          group.quantity = group.quantity.plus(usage.quantity);
          group.free = group.free.plus(usage.freeQuantity);
          group.amount += BigInt(fact.amountMicros);
          group.events += 1;
          groups.set(key, group);
        }
        const allowances = [];
        const card = customer.rateCardId
          ? await runtime.rateCards.find(env, merchantId, customer.rateCardId)
          : undefined;
        const version = card ? RateCardDirectory.versionAt(card, now) : undefined;
        if (version) {
          const state = await runtime.wallets.state(customer);
          for (const price of version.prices) {
            if (!price.freeAllowance) continue;
            const start = periodStart(ratingPeriodOf(price), now, usagePeriodAnchorMs);
            const cumulative = new RatingDecimal(state.context.usage[`${priceKey(price)}@${start}`] ?? "0");
            const included = new RatingDecimal(price.freeAllowance.quantity);
            const used = RatingDecimal.min(cumulative, included);
            allowances.push({
              metric: price.metric,
              dimensions: { ...(price.filters ?? {}) },
              period: price.freeAllowance.period,
              periodStart: new Date(start).toISOString(),
              included: included.toFixed(),
              used: used.toFixed(),
              remaining: included.minus(used).toFixed(),
            });
          }
        }
        return {
          status: 200,
          body: {
            object: "usage_summary",
            customerExternalId: customer.externalId,
            from: new Date(from).toISOString(),
            to: new Date(to).toISOString(),
            groups: [...groups.values()].map((g) => ({
              metric: g.metric,
              dimensions: g.dimensions,
              quantity: g.quantity.toFixed(),
              freeQuantity: g.free.toFixed(),
              amount: formatMicros(g.amount),
              currency: g.currency,
              events: g.events,
            })),
            allowances,
          },
        };
      },
    }),
  ];
}
