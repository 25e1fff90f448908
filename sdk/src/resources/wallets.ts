import type { TopUp } from "../collectionTypes.js";
import type { Transport } from "../http.js";
import { autoPaginate } from "../pagination.js";
import { path } from "../path.js";
import type {
  DecimalString,
  ListAllParams,
  ListPage,
  PageParams,
  RequestOptions,
  Reservation,
  ReservationOperation,
  Wallet,
  WalletOperation,
  WalletTransaction,
} from "../types.js";
import type { PayInvoiceParams } from "./invoices.js";

export type ListTransactionsParams = PageParams;

export interface ListAllTransactionsParams {
  pageSize?: number | undefined;
}

export interface GrantParams {
  amount: DecimalString;
  reason: string;
}

export interface DebitParams {
  amount: DecimalString;
  description?: string | undefined;
}

export interface ReserveParams {
  amount: DecimalString;
  expiresInSeconds?: number | undefined;
}

export interface CaptureParams {
  /** Omit to capture the whole reservation. */
  amount?: DecimalString | undefined;
}

export interface TopUpParams extends PayInvoiceParams {
  /** Yuan, at most two decimals, e.g. "100.00". */
  amount: DecimalString;
}

export interface FreezeParams {
  reason?: string | undefined;
}

/** A customer's CNY wallet, addressed by the customer's externalId. */
export class Wallets {
  constructor(private readonly transport: Transport) {}

  async retrieve(externalId: string): Promise<Wallet> {
    return this.transport.request({ method: "GET", path: path`/v1/customers/${externalId}/wallet` });
  }

  /** One page of transactions, newest first. */
  async transactions(
    externalId: string,
    params: ListTransactionsParams = {},
  ): Promise<ListPage<WalletTransaction>> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/customers/${externalId}/wallet/transactions`,
      query: { limit: params.limit, startingAfter: params.startingAfter },
    });
  }

  /** Every transaction, newest first, following `nextCursor` page by page: `for await (const tx of …)`. */
  listAllTransactions(
    externalId: string,
    params: ListAllTransactionsParams = {},
  ): AsyncGenerator<WalletTransaction, void, undefined> {
    return autoPaginate((startingAfter) =>
      this.transactions(externalId, { limit: params.pageSize, startingAfter }),
    );
  }

  async grant(
    externalId: string,
    params: GrantParams,
    options: RequestOptions = {},
  ): Promise<WalletOperation> {
    return this.command(path`/v1/customers/${externalId}/wallet/grants`, params, options);
  }

  async debit(
    externalId: string,
    params: DebitParams,
    options: RequestOptions = {},
  ): Promise<WalletOperation> {
    return this.command(path`/v1/customers/${externalId}/wallet/debits`, params, options);
  }

  /** Holds an amount against the available balance until captured, released or expired. */
  async reserve(
    externalId: string,
    params: ReserveParams,
    options: RequestOptions = {},
  ): Promise<ReservationOperation> {
    return this.command<ReservationOperation>(
      path`/v1/customers/${externalId}/wallet/reservations`,
      params,
      options,
    );
  }

  async capture(
    externalId: string,
    reservationId: string,
    params: CaptureParams = {},
    options: RequestOptions = {},
  ): Promise<WalletOperation> {
    const target = path`/v1/customers/${externalId}/wallet/reservations/${reservationId}/capture`;
    return this.command(target, params, options);
  }

  /** Any reservation, with its outcome: active, captured (with `capturedAmount`), released or expired. */
  async retrieveReservation(externalId: string, reservationId: string): Promise<Reservation> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/customers/${externalId}/wallet/reservations/${reservationId}`,
    });
  }

  /** One page of the reservations the wallet holds (active ones), in id order; `nextCursor` is the last id. */
  async listReservations(externalId: string, params: PageParams = {}): Promise<ListPage<Reservation>> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/customers/${externalId}/wallet/reservations`,
      query: { limit: params.limit, startingAfter: params.startingAfter },
    });
  }

  /** Every active reservation, page by page: `for await (const reservation of …)`. */
  listAllReservations(
    externalId: string,
    params: ListAllParams = {},
  ): AsyncGenerator<Reservation, void, undefined> {
    return autoPaginate((startingAfter) =>
      this.listReservations(externalId, { limit: params.pageSize, startingAfter }),
    );
  }

  async release(
    externalId: string,
    reservationId: string,
    options: RequestOptions = {},
  ): Promise<WalletOperation> {
    const target = path`/v1/customers/${externalId}/wallet/reservations/${reservationId}/release`;
    return this.command(target, {}, options);
  }

  /**
   * Starts a top-up through WeChat Pay or Alipay: an invoice and a payment order, with a hosted
   * `checkoutUrl`. The wallet is credited once the channel confirms the payment.
   */
  async topUp(externalId: string, params: TopUpParams, options: RequestOptions = {}): Promise<TopUp> {
    return this.command<TopUp>(path`/v1/customers/${externalId}/wallet/top-ups`, params, options);
  }

  async freeze(
    externalId: string,
    params: FreezeParams = {},
    options: RequestOptions = {},
  ): Promise<WalletOperation> {
    return this.command(path`/v1/customers/${externalId}/wallet/freeze`, params, options);
  }

  async unfreeze(externalId: string, options: RequestOptions = {}): Promise<WalletOperation> {
    return this.command(path`/v1/customers/${externalId}/wallet/unfreeze`, {}, options);
  }

  private command<T = WalletOperation>(target: string, body: object, options: RequestOptions): Promise<T> {
    return this.transport.request({
      method: "POST",
      path: target,
      body,
      idempotencyKey: options.idempotencyKey,
    });
  }
}
