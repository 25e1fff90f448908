import type { Transport } from "../http.js";
import type { Balance } from "../collectionTypes.js";

export class Balances {
  constructor(private readonly transport: Transport) {}

  /** The merchant's balances per currency (payable net of fees, credit sold, usage revenue, promotions). */
  async retrieve(): Promise<Balance> {
    return this.transport.request({ method: "GET", path: "/v1/balance" });
  }
}
