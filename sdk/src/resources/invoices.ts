import type { CollectionChannel, Invoice, InvoicePaymentStart, InvoiceStatus } from "../collectionTypes.js";
import type { Transport } from "../http.js";
import { autoPaginate } from "../pagination.js";
import { path } from "../path.js";
import type { ListAllParams, ListPage, PageParams, RequestOptions } from "../types.js";

export interface ListInvoicesParams extends PageParams {
  customerExternalId?: string | undefined;
  subscriptionId?: string | undefined;
  status?: InvoiceStatus | undefined;
}

/** How the payer pays; a top-up takes the same, with its amount. */
export interface PayInvoiceParams {
  channel: CollectionChannel;
  /** Required for wechat_jsapi: the payer's openid under your app. */
  payerOpenId?: string | undefined;
  /** wechat_h5: the payer's IP (default: the caller's). */
  clientIp?: string | undefined;
  /** alipay_page / alipay_wap: where the buyer returns after paying. */
  returnUrl?: string | undefined;
}

export class Invoices {
  constructor(private readonly transport: Transport) {}

  /** The invoice with its payment (status, fees, net) and refunds. */
  async retrieve(invoiceId: string): Promise<Invoice> {
    return this.transport.request({ method: "GET", path: path`/v1/invoices/${invoiceId}` });
  }

  /** One page, newest first. */
  async list(params: ListInvoicesParams = {}): Promise<ListPage<Invoice>> {
    return this.transport.request({
      method: "GET",
      path: "/v1/invoices",
      query: {
        customerExternalId: params.customerExternalId,
        subscriptionId: params.subscriptionId,
        status: params.status,
        limit: params.limit,
        startingAfter: params.startingAfter,
      },
    });
  }

  /** Every invoice, following `nextCursor` page by page: `for await (const invoice of …)`. */
  listAll(params: ListAllParams<ListInvoicesParams> = {}): AsyncGenerator<Invoice, void, undefined> {
    const { pageSize, ...filters } = params;
    return autoPaginate((startingAfter) => this.list({ ...filters, limit: pageSize, startingAfter }));
  }

  /** The invoice as a PDF file. */
  async pdf(invoiceId: string): Promise<Uint8Array> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/invoices/${invoiceId}/pdf`,
      accept: "application/pdf",
    });
  }

  /**
   * Starts collecting an open invoice through WeChat Pay or Alipay: a payment order with a hosted
   * `checkoutUrl`. The invoice is paid once the channel confirms the payment.
   */
  async pay(
    invoiceId: string,
    params: PayInvoiceParams,
    options: RequestOptions = {},
  ): Promise<InvoicePaymentStart> {
    return this.transport.request({
      method: "POST",
      path: path`/v1/invoices/${invoiceId}/payments`,
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }
}
