import type { Purchase } from "../billingTypes.js";
import type { Refund } from "../collectionTypes.js";
import type { Transport } from "../http.js";
import { path } from "../path.js";
import { autoPaginate } from "../pagination.js";
import type { ListAllParams, ListPage, PageParams, RequestOptions } from "../types.js";

export interface CreatePurchaseParams {
  customerExternalId: string;
  /** A one-time price. */
  priceId: string;
}

export interface ListPurchasesParams extends PageParams {
  /** Whose purchases: the server requires it. */
  customerExternalId: string;
}

export interface RefundPurchaseParams {
  /** Shown to the payer by the channel. */
  reason?: string | undefined;
}

/** One-time prices bought once, each paid through its own invoice. */
export class Purchases {
  constructor(private readonly transport: Transport) {}

  /** Opens the purchase's invoice; pay it with `invoices.pay`. */
  async create(params: CreatePurchaseParams, options: RequestOptions = {}): Promise<Purchase> {
    return this.transport.request({
      method: "POST",
      path: "/v1/purchases",
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }

  async retrieve(purchaseId: string): Promise<Purchase> {
    return this.transport.request({ method: "GET", path: path`/v1/purchases/${purchaseId}` });
  }

  /** One page of the customer's purchases (paid, pending, refunded or canceled), newest first. */
  async list(params: ListPurchasesParams): Promise<ListPage<Purchase>> {
    return this.transport.request({
      method: "GET",
      path: "/v1/purchases",
      query: {
        customerExternalId: params.customerExternalId,
        limit: params.limit,
        startingAfter: params.startingAfter,
      },
    });
  }

  /** Every purchase of the customer, page by page: `for await (const purchase of …)`. */
  listAll(params: ListAllParams<ListPurchasesParams>): AsyncGenerator<Purchase, void, undefined> {
    const { pageSize, ...filters } = params;
    return autoPaginate((startingAfter) => this.list({ ...filters, limit: pageSize, startingAfter }));
  }

  /**
   * Refunds the purchase in full within the price's refund window (`refundableUntil`): the entitlement
   * is revoked at once; the refund is pending until the channel confirms it.
   */
  async refund(
    purchaseId: string,
    params: RefundPurchaseParams = {},
    options: RequestOptions = {},
  ): Promise<Refund> {
    return this.transport.request({
      method: "POST",
      path: path`/v1/purchases/${purchaseId}/refund`,
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }
}
