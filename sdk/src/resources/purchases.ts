import type { Purchase } from "../billingTypes.js";
import type { Refund } from "../collectionTypes.js";
import type { Transport } from "../http.js";
import { path } from "../path.js";
import type { RequestOptions } from "../types.js";

export interface CreatePurchaseParams {
  customerExternalId: string;
  /** A one-time price. */
  priceId: string;
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
