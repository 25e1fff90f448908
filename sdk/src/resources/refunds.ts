import type { Transport } from "../http.js";
import type { Refund } from "../collectionTypes.js";
import type { DecimalString, RequestOptions } from "../types.js";

export interface CreateRefundParams {
  invoiceId: string;
  /**
   * Which payment of the invoice; default its latest. Name an earlier, closed attempt to refund money
   * that arrived after it closed (`paid_after_close`).
   */
  paymentId?: string | undefined;
  /** Part or all of what is left to refund, in yuan with at most two decimals. */
  amount: DecimalString;
  /** Shown to the payer by the channel (at most 80 characters). */
  reason?: string | undefined;
}

export class Refunds {
  constructor(private readonly transport: Transport) {}

  /**
   * Refunds a paid invoice through its channel. A top-up's credit leaves the wallet at once (a refund
   * that would take the wallet below zero is refused with `insufficient_balance`); a subscription or
   * purchase invoice gives its revenue back (a purchase's entitlement is revoked). The refund is
   * `pending` until the channel confirms it (see `invoices.retrieve`).
   */
  async create(params: CreateRefundParams, options: RequestOptions = {}): Promise<Refund> {
    return this.transport.request({
      method: "POST",
      path: "/v1/refunds",
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }
}
