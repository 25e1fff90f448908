import type { Transport } from "../http.js";
import type { Refund } from "../collectionTypes.js";
import type { DecimalString, RequestOptions } from "../types.js";

export interface CreateRefundParams {
  invoiceId: string;
  /** Part or all of what is left to refund, in yuan with at most two decimals. */
  amount: DecimalString;
  /** Shown to the payer by the channel (at most 80 characters). */
  reason?: string | undefined;
}

export class Refunds {
  constructor(private readonly transport: Transport) {}

  /**
   * Refunds a paid top-up through its channel. The credit leaves the wallet at once; a refund that
   * would take the wallet below zero is refused with `insufficient_balance`. The refund is `pending`
   * until the channel confirms it (see `invoices.retrieve`).
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
