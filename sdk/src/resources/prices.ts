import type { PriceInterval, ProductPrice } from "../billingTypes.js";
import type { Transport } from "../http.js";
import { autoPaginate } from "../pagination.js";
import { path } from "../path.js";
import type { DecimalString, ListAllParams, ListPage, PageParams, RequestOptions } from "../types.js";

interface CreatePriceParamsBase {
  productId: string;
  /** Yuan, at most two decimals, e.g. "149.00". */
  unitAmount: DecimalString;
  currency?: "CNY" | undefined;
  nickname?: string | undefined;
}

/** Billed every interval by a subscription. */
export interface CreateRecurringPriceParams extends CreatePriceParamsBase {
  type: "recurring";
  interval?: PriceInterval | undefined;
  refundWindowDays?: never;
}

/** Bought once, as a purchase. */
export interface CreateOneTimePriceParams extends CreatePriceParamsBase {
  type: "one_time";
  /** How many days after payment the purchase may still be refunded. */
  refundWindowDays?: number | undefined;
  interval?: never;
}

export type CreatePriceParams = CreateRecurringPriceParams | CreateOneTimePriceParams;

export interface ListPricesParams extends PageParams {
  productId?: string | undefined;
}

/** A product's prices. There is no update: a price is immutable, so create another to change it. */
export class Prices {
  constructor(private readonly transport: Transport) {}

  async create(params: CreatePriceParams, options: RequestOptions = {}): Promise<ProductPrice> {
    return this.transport.request({
      method: "POST",
      path: "/v1/prices",
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }

  async retrieve(priceId: string): Promise<ProductPrice> {
    return this.transport.request({ method: "GET", path: path`/v1/prices/${priceId}` });
  }

  /** One page, newest first. */
  async list(params: ListPricesParams = {}): Promise<ListPage<ProductPrice>> {
    return this.transport.request({
      method: "GET",
      path: "/v1/prices",
      query: { productId: params.productId, limit: params.limit, startingAfter: params.startingAfter },
    });
  }

  /** Every price, following `nextCursor` page by page: `for await (const price of …)`. */
  listAll(params: ListAllParams<ListPricesParams> = {}): AsyncGenerator<ProductPrice, void, undefined> {
    const { pageSize, ...filters } = params;
    return autoPaginate((startingAfter) => this.list({ ...filters, limit: pageSize, startingAfter }));
  }
}
