import type { Transport } from "../http.js";
import type { Merchant, RequestOptions } from "../types.js";

export interface CreateMerchantParams {
  name: string;
}

/** Operator-only: needs the admin token, not a merchant API key. */
export class Merchants {
  constructor(private readonly transport: Transport) {}

  /** The answer holds the new merchant's test and live API keys. */
  async create(params: CreateMerchantParams, options: RequestOptions = {}): Promise<Merchant> {
    return this.transport.request({
      method: "POST",
      path: "/v1/admin/merchants",
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }
}
