import type { Context } from "koa";
import type { InsufficientBalancePolicy, PublishedVersion, RateCard, Runtime } from "../../actors/index.js";
import { DomainError } from "../../domain/errors.js";
import type { Environment } from "../../domain/environment.js";
import { formatMicros, parseDecimalToMicros } from "../../domain/money.js";
import { limits } from "../../domain/limits.js";
import type { z } from "zod";
import { actorOf, merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import { listPageAt } from "../pagination.js";
import type { priceInput } from "../schemas.js";
import {
  createRateCardRequest,
  listQuery,
  publishVersionRequest,
  rateCard,
  rateCardList,
  rateCardParams,
  versionList,
} from "../schemas.js";

type PriceInput = z.output<typeof priceInput>;
type VersionBody = z.output<typeof publishVersionRequest>;

/** API prices name their filters `dimensions`; the rating engine calls them `filters`. */
function toRatingPrice({ dimensions, ...price }: PriceInput): Record<string, unknown> {
  return dimensions === undefined ? price : { ...price, filters: dimensions };
}

function fromRatingPrice(price: PublishedVersion["prices"][number]): Record<string, unknown> {
  const { filters, ...rest } = price;
  return filters === undefined ? rest : { ...rest, dimensions: filters };
}

function policyOf(body: VersionBody): InsufficientBalancePolicy | undefined {
  const policy = body.insufficientBalance;
  if (!policy || policy.mode === "reject") return policy;
  const parsed = parseDecimalToMicros(policy.limit);
  if (!parsed.ok) throw new DomainError("invalid_amount", `insufficientBalance.limit ${parsed.reason}`);
  if (parsed.micros > limits.amountMicrosMax) {
    throw new DomainError(
      "invalid_amount",
      `insufficientBalance.limit must be at most ${formatMicros(limits.amountMicrosMax)}`,
    );
  }
  return { mode: "allow_negative", limitMicros: parsed.micros.toString() };
}

/**
 * Every price names a metric that exists (built in, or the merchant's own): a misspelt one would
 * make a card that prices nothing, and its events would be rejected as price_not_found.
 */
async function requireMetrics(
  runtime: Runtime,
  env: Environment,
  merchantId: string,
  prices: readonly { metric: string }[],
): Promise<void> {
  for (const metric of new Set(prices.map((price) => price.metric))) {
    if (!(await runtime.metrics.exists(env, merchantId, metric))) {
      throw new DomainError(
        "metric_not_found",
        `no metric ${metric}: use a built-in one or define it first (POST /v1/metrics)`,
      );
    }
  }
}

function versionInput(body: VersionBody) {
  const effectiveFrom = body.effectiveFrom === undefined ? undefined : Date.parse(body.effectiveFrom);
  if (effectiveFrom !== undefined && Number.isNaN(effectiveFrom)) {
    throw new DomainError("invalid_request", "effectiveFrom must be an RFC 3339 time with its offset");
  }
  return {
    currency: body.currency,
    effectiveFrom,
    prices: body.prices.map(toRatingPrice),
    insufficientBalance: policyOf(body),
  };
}

export function versionView(v: PublishedVersion) {
  const policy = v.insufficientBalance;
  return {
    version: v.version,
    currency: v.currency,
    effectiveFrom: new Date(v.effectiveFrom).toISOString(),
    publishedAt: new Date(v.publishedAt).toISOString(),
    prices: v.prices.map(fromRatingPrice),
    insufficientBalance:
      policy.mode === "reject"
        ? policy
        : { mode: policy.mode, limit: formatMicros(BigInt(policy.limitMicros)) },
  };
}

export function rateCardView(card: RateCard) {
  return {
    id: card.id,
    object: "rate_card" as const,
    name: card.name,
    environment: card.env,
    createdAt: new Date(card.createdAt).toISOString(),
    latestVersion: card.versions.length,
    versions: card.versions.map(versionView),
  };
}

export function rateCardOperations(runtime: Runtime): Operation[] {
  const render = (status: number) => (card: RateCard) => ({ status, body: rateCardView(card) });
  const cardOf = (ctx: Context, id: string) => {
    const { env, merchantId } = merchantOf(ctx);
    return runtime.rateCards.require(env, merchantId, id);
  };
  return [
    operation({
      operationId: "createRateCard",
      method: "post",
      path: "/v1/rate-cards",
      summary: "Create a rate card; its prices become version 1.",
      tag: "Rate cards",
      auth: "merchant",
      body: createRateCardRequest,
      response: rateCard,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        await requireMetrics(runtime, env, merchantId, body.prices);
        const card = await runtime.rateCards.create(
          env,
          merchantId,
          { name: body.name, ...versionInput(body) },
          actorOf(ctx),
          storedWith(ctx, render(201)),
        );
        return render(201)(card);
      },
    }),
    operation({
      operationId: "listRateCards",
      method: "get",
      path: "/v1/rate-cards",
      summary:
        "Your rate cards in this environment, newest first, each with every version, a page at a time.",
      tag: "Rate cards",
      auth: "merchant",
      query: listQuery,
      response: rateCardList,
      status: 200,
      handle: async (ctx, { query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const page = await runtime.rateCards.list(env, merchantId, {
          limit: query.limit,
          ...(query.startingAfter !== undefined ? { beforeSeq: Number(query.startingAfter) } : {}),
        });
        return { status: 200, body: listPageAt(page.cards.map(rateCardView), page.hasMore, page.lastSeq) };
      },
    }),
    operation({
      operationId: "publishRateCardVersion",
      method: "post",
      path: "/v1/rate-cards/{rateCardId}/versions",
      summary:
        "Publish a new immutable version; events are priced by the version in effect when they occurred.",
      tag: "Rate cards",
      auth: "merchant",
      params: rateCardParams,
      body: publishVersionRequest,
      response: rateCard,
      status: 201,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        await requireMetrics(runtime, env, merchantId, body.prices);
        const card = await runtime.rateCards.publish(
          env,
          merchantId,
          params.rateCardId,
          versionInput(body),
          actorOf(ctx),
          storedWith(ctx, render(201)),
        );
        return render(201)(card);
      },
    }),
    operation({
      operationId: "retrieveRateCard",
      method: "get",
      path: "/v1/rate-cards/{rateCardId}",
      summary: "Retrieve a rate card with every version.",
      tag: "Rate cards",
      auth: "merchant",
      params: rateCardParams,
      response: rateCard,
      status: 200,
      handle: async (ctx, { params }) => render(200)(await cardOf(ctx, params.rateCardId)),
    }),
    operation({
      operationId: "listRateCardVersions",
      method: "get",
      path: "/v1/rate-cards/{rateCardId}/versions",
      summary: "List a rate card's versions, oldest first.",
      tag: "Rate cards",
      auth: "merchant",
      params: rateCardParams,
      response: versionList,
      status: 200,
      handle: async (ctx, { params }) => {
        const card = await cardOf(ctx, params.rateCardId);
        return { status: 200, body: { object: "list", data: card.versions.map(versionView) } };
      },
    }),
  ];
}
