import type { Product } from "../billingTypes.js";
import type { Transport } from "../http.js";
import { autoPaginate } from "../pagination.js";
import { path } from "../path.js";
import type { ListAllParams, ListPage, PageParams, RequestOptions } from "../types.js";

export interface CreateProductParams {
  name: string;
  /** The name shown to Chinese-speaking customers. */
  nameZh?: string | undefined;
  description?: string | undefined;
}

/** What you sell; `prices` say how much and how often. */
export class Products {
  constructor(private readonly transport: Transport) {}

  async create(params: CreateProductParams, options: RequestOptions = {}): Promise<Product> {
    return this.transport.request({
      method: "POST",
      path: "/v1/products",
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }

  async retrieve(productId: string): Promise<Product> {
    return this.transport.request({ method: "GET", path: path`/v1/products/${productId}` });
  }

  /** One page, newest first. */
  async list(params: PageParams = {}): Promise<ListPage<Product>> {
    return this.transport.request({
      method: "GET",
      path: "/v1/products",
      query: { limit: params.limit, startingAfter: params.startingAfter },
    });
  }

  /** Every product, following `nextCursor` page by page: `for await (const product of …)`. */
  listAll(params: ListAllParams = {}): AsyncGenerator<Product, void, undefined> {
    return autoPaginate((startingAfter) => this.list({ limit: params.pageSize, startingAfter }));
  }
}
