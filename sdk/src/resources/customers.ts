import type { Transport } from "../http.js";
import { path } from "../path.js";
import type { Customer, RequestOptions } from "../types.js";

export interface CreateCustomerParams {
  /** Your own user ID; every other call addresses the customer by it. */
  externalId: string;
  name?: string | undefined;
  email?: string | undefined;
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

  async retrieve(externalId: string): Promise<Customer> {
    return this.transport.request({ method: "GET", path: path`/v1/customers/${externalId}` });
  }
}
