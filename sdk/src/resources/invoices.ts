import type { Transport } from "../http.js";
import { path } from "../path.js";
import type { Invoice } from "../collectionTypes.js";

export class Invoices {
  constructor(private readonly transport: Transport) {}

  /** The invoice with its payment (status, fees, net) and refunds. */
  async retrieve(invoiceId: string): Promise<Invoice> {
    return this.transport.request({ method: "GET", path: path`/v1/invoices/${invoiceId}` });
  }
}
