import { BuffMoneyClient } from "./client.js";

export { BuffMoneyClient, type ClientOptions } from "./client.js";
export { BuffMoneyAdminClient, type AdminClientOptions } from "./adminClient.js";
export { BuffMoneyConnectionError, BuffMoneyError, type BuffMoneyErrorCode } from "./errors.js";
export type { ConnectionOptions } from "./options.js";
export type { FetchLike } from "./http.js";
export type { CreateCustomerParams, Customers } from "./resources/customers.js";
export type {
  CaptureParams,
  DebitParams,
  FreezeParams,
  GrantParams,
  ListAllTransactionsParams,
  ListTransactionsParams,
  ReserveParams,
  Wallets,
} from "./resources/wallets.js";
export type { CreateMerchantParams, Merchants } from "./resources/merchants.js";
export type {
  Customer,
  DecimalString,
  Environment,
  IsoTimestamp,
  ListPage,
  Merchant,
  RequestOptions,
  Reservation,
  ReservationOperation,
  ReservationStatus,
  Wallet,
  WalletOperation,
  WalletStatus,
  WalletTransaction,
  WalletTransactionType,
} from "./types.js";

export default BuffMoneyClient;
