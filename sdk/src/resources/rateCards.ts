import type { Transport } from "../http.js";
import { autoPaginate } from "../pagination.js";
import { path } from "../path.js";
import type {
  Currency,
  InsufficientBalancePolicy,
  Price,
  RateCard,
  RateCardVersion,
} from "../rateCardTypes.js";
import { isoTimestampOrUndefined, type Timestamp } from "../timestamp.js";
import type { List, ListAllParams, ListPage, PageParams, RequestOptions } from "../types.js";

export interface PublishRateCardVersionParams {
  currency: Currency;
  prices: readonly Price[];
  /**
   * When the version takes effect. A card's first version defaults to the start of time (it prices
   * every event, however late); a later one defaults to now and may not be in the past.
   */
  effectiveFrom?: Timestamp | undefined;
  insufficientBalance?: InsufficientBalancePolicy | undefined;
}

export interface CreateRateCardParams extends PublishRateCardVersionParams {
  name: string;
}

/** Rate cards price usage; each version is immutable once published. */
export class RateCards {
  constructor(private readonly transport: Transport) {}

  /** The prices become version 1. */
  async create(params: CreateRateCardParams, options: RequestOptions = {}): Promise<RateCard> {
    return this.transport.request({
      method: "POST",
      path: "/v1/rate-cards",
      body: versionBody(params),
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** Events are priced by the version in effect when they occurred, so past usage keeps its prices. */
  async publishVersion(
    rateCardId: string,
    params: PublishRateCardVersionParams,
    options: RequestOptions = {},
  ): Promise<RateCard> {
    return this.transport.request({
      method: "POST",
      path: path`/v1/rate-cards/${rateCardId}/versions`,
      body: versionBody(params),
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** The rate card with every version. */
  async retrieve(rateCardId: string): Promise<RateCard> {
    return this.transport.request({ method: "GET", path: path`/v1/rate-cards/${rateCardId}` });
  }

  /** One page of the environment's rate cards, newest first, each with every version. */
  async list(params: PageParams = {}): Promise<ListPage<RateCard>> {
    return this.transport.request({
      method: "GET",
      path: "/v1/rate-cards",
      query: { limit: params.limit, startingAfter: params.startingAfter },
    });
  }

  /** Every rate card, newest first, following `nextCursor` page by page: `for await (const card of …)`. */
  listAll(params: ListAllParams = {}): AsyncGenerator<RateCard, void, undefined> {
    return autoPaginate((startingAfter) => this.list({ limit: params.pageSize, startingAfter }));
  }

  /** Oldest first. */
  async listVersions(rateCardId: string): Promise<List<RateCardVersion>> {
    return this.transport.request({ method: "GET", path: path`/v1/rate-cards/${rateCardId}/versions` });
  }
}

function versionBody(params: PublishRateCardVersionParams): object {
  return { ...params, effectiveFrom: isoTimestampOrUndefined(params.effectiveFrom) };
}
