import type { Transport } from "../http.js";
import { path } from "../path.js";
import type { Environment, Merchant, RequestOptions, RolledApiKey } from "../types.js";

export interface CreateMerchantParams {
  name: string;
}

export interface RollApiKeyParams {
  environment: Environment;
  /** How long the replaced key keeps working (at most 7 days), to move running clients over. Default 0. */
  expiresInSeconds?: number;
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

  /**
   * Replaces the merchant's key of one environment, e.g. after a leak. The answer holds the new key,
   * shown once; the old one stops working now, or `expiresInSeconds` from now.
   */
  async rollApiKey(
    merchantId: string,
    params: RollApiKeyParams,
    options: RequestOptions = {},
  ): Promise<RolledApiKey> {
    return this.transport.request({
      method: "POST",
      path: path`/v1/admin/merchants/${merchantId}/api-keys/roll`,
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }
}
