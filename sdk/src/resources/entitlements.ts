import type { Entitlement, EntitlementCheck } from "../billingTypes.js";
import type { Transport } from "../http.js";
import { path } from "../path.js";
import type { List } from "../types.js";

/** What a customer has access to, through subscriptions and purchases. */
export class Entitlements {
  constructor(private readonly transport: Transport) {}

  async list(customerExternalId: string): Promise<List<Entitlement>> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/customers/${customerExternalId}/entitlements`,
    });
  }

  /** Whether the customer has access to the product now. */
  async check(customerExternalId: string, productId: string): Promise<EntitlementCheck> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/customers/${customerExternalId}/entitlements/${productId}`,
    });
  }
}
