import type { Transport } from "../http.js";
import { path } from "../path.js";
import type { Invoice } from "../collectionTypes.js";

export interface SimulatePaymentParams {
  outcome: "succeeded" | "failed" | "expired";
}

/** Sandbox keys only: drive the channel simulators as a paying customer would. */
export class Sandbox {
  constructor(private readonly transport: Transport) {}

  /**
   * Pays (or fails, or lets expire) the invoice's order at the simulator; a success arrives through the
   * channel's signed callback, like a real one. Answers the invoice once the ledger has recorded it.
   */
  async simulatePayment(invoiceId: string, params: SimulatePaymentParams): Promise<Invoice> {
    return this.transport.request({
      method: "POST",
      path: path`/v1/sandbox/invoices/${invoiceId}/simulate-payment`,
      body: params,
    });
  }
}
