import type { Transport } from "../http.js";
import { path } from "../path.js";
import { autoPaginate } from "../pagination.js";
import type { BillingMode, Customer, ListAllParams, ListPage, PageParams, RequestOptions } from "../types.js";

export interface CreateCustomerParams {
  /** Your own user ID; every other call addresses the customer by it. */
  externalId: string;
  name?: string | undefined;
  email?: string | undefined;
  /** Sandbox only: the test clock whose time the customer's billing runs on. */
  testClockId?: string | undefined;
}

/** Only the fields given change; null clears one. */
export interface UpdateCustomerParams {
  name?: string | null | undefined;
  email?: string | null | undefined;
  /** The rate card that prices the customer's usage; assign it together with a billingMode. */
  rateCardId?: string | null | undefined;
  /** "prepaid" needs a rate card in CNY, the wallet's currency. */
  billingMode?: BillingMode | null | undefined;
}

export class Customers {
  constructor(private readonly transport: Transport) {}

  async create(params: CreateCustomerParams, options: RequestOptions = {}): Promise<Customer> {
    return this.transport.request({
      method: "POST",
      path: "/v1/customers",
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** One page of customers in externalId order; `nextCursor` is the last one's externalId. */
  async list(params: PageParams = {}): Promise<ListPage<Customer>> {
    return this.transport.request({
      method: "GET",
      path: "/v1/customers",
      query: { limit: params.limit, startingAfter: params.startingAfter },
    });
  }

  /** Every customer, page by page: `for await (const customer of …)`. */
  listAll(params: ListAllParams = {}): AsyncGenerator<Customer, void, undefined> {
    return autoPaginate((startingAfter) => this.list({ limit: params.pageSize, startingAfter }));
  }

  async retrieve(externalId: string): Promise<Customer> {
    return this.transport.request({ method: "GET", path: path`/v1/customers/${externalId}` });
  }

  async update(
    externalId: string,
    params: UpdateCustomerParams,
    options: RequestOptions = {},
  ): Promise<Customer> {
    return this.transport.request({
      method: "PATCH",
      path: path`/v1/customers/${externalId}`,
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }
}
