import type { Subscription } from "../billingTypes.js";
import type { Transport } from "../http.js";
import { autoPaginate } from "../pagination.js";
import { path } from "../path.js";
import type { ListAllParams, ListPage, PageParams, RequestOptions } from "../types.js";

export interface CreateSubscriptionParams {
  customerExternalId: string;
  /** A recurring price. */
  priceId: string;
}

export interface ListSubscriptionsParams extends PageParams {
  /** Whose subscriptions: the server requires it. */
  customerExternalId: string;
}

export interface ChangePlanParams {
  priceId: string;
  /** When a move to a cheaper price applies; `period_end` leaves it in `pendingChange` until then. */
  downgrade?: "period_end" | "immediately" | undefined;
}

export interface CancelSubscriptionParams {
  /** `period_end` sets `cancelAtPeriodEnd`, which `resume` undoes. */
  at?: "period_end" | "immediately" | undefined;
}

/** Recurring prices billed each period through invoices. */
export class Subscriptions {
  constructor(private readonly transport: Transport) {}

  async create(params: CreateSubscriptionParams, options: RequestOptions = {}): Promise<Subscription> {
    return this.command("/v1/subscriptions", params, options);
  }

  async retrieve(subscriptionId: string): Promise<Subscription> {
    return this.transport.request({ method: "GET", path: path`/v1/subscriptions/${subscriptionId}` });
  }

  /** One page, newest first. */
  async list(params: ListSubscriptionsParams): Promise<ListPage<Subscription>> {
    return this.transport.request({
      method: "GET",
      path: "/v1/subscriptions",
      query: {
        customerExternalId: params.customerExternalId,
        limit: params.limit,
        startingAfter: params.startingAfter,
      },
    });
  }

  /** Every subscription, following `nextCursor` page by page: `for await (const subscription of …)`. */
  listAll(params: ListAllParams<ListSubscriptionsParams>): AsyncGenerator<Subscription, void, undefined> {
    const { pageSize, ...filters } = params;
    return autoPaginate((startingAfter) => this.list({ ...filters, limit: pageSize, startingAfter }));
  }

  /** Moves to another price of the product. An upgrade always takes effect at once. */
  async changePlan(
    subscriptionId: string,
    params: ChangePlanParams,
    options: RequestOptions = {},
  ): Promise<Subscription> {
    return this.command(path`/v1/subscriptions/${subscriptionId}/change-plan`, params, options);
  }

  async cancel(
    subscriptionId: string,
    params: CancelSubscriptionParams = {},
    options: RequestOptions = {},
  ): Promise<Subscription> {
    return this.command(path`/v1/subscriptions/${subscriptionId}/cancel`, params, options);
  }

  /** Undoes a cancellation at the period's end. */
  async resume(subscriptionId: string, options: RequestOptions = {}): Promise<Subscription> {
    return this.command(path`/v1/subscriptions/${subscriptionId}/resume`, {}, options);
  }

  private command(target: string, body: object, options: RequestOptions): Promise<Subscription> {
    return this.transport.request({
      method: "POST",
      path: target,
      body,
      idempotencyKey: options.idempotencyKey,
    });
  }
}
