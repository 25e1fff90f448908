/** A decimal string such as "12.50". Money is never a `number`: binary floats cannot hold fen exactly. */
export type DecimalString = string;

/** An ISO 8601 timestamp such as "2025-01-31T08:00:00.000Z". */
export type IsoTimestamp = string;

/** Which ledger an API key reaches; test and live data never mix. */
export type Environment = "test" | "live";

/** The last argument of every mutating method. */
export interface RequestOptions {
  /** Reused on every retry; pass your own to make retries across process restarts safe too. */
  idempotencyKey?: string | undefined;
}

export interface Merchant {
  id: string;
  object: "merchant";
  name: string;
  createdAt: IsoTimestamp;
  apiKeys: { test: string; live: string };
}

export interface Customer {
  id: string;
  object: "customer";
  externalId: string;
  name: string | null;
  email: string | null;
  environment: Environment;
  createdAt: IsoTimestamp;
}

export type WalletStatus = "active" | "frozen";

export interface Wallet {
  object: "wallet";
  customerExternalId: string;
  currency: "CNY";
  balance: DecimalString;
  reserved: DecimalString;
  available: DecimalString;
  status: WalletStatus;
}

/** Known types autocomplete; the `string` arm keeps older SDKs working when the server adds one. */
export type WalletTransactionType =
  | "grant"
  | "debit"
  | "reservation"
  | "capture"
  | "release"
  | "expiry"
  | "freeze"
  | "unfreeze"
  | (string & {});

export interface WalletTransaction {
  id: string;
  object: "wallet_transaction";
  type: WalletTransactionType;
  amount: DecimalString;
  balanceAfter: DecimalString;
  availableAfter: DecimalString;
  reservationId: string | null;
  reason: string | null;
  description: string | null;
  sequence: number;
  createdAt: IsoTimestamp;
}

export type ReservationStatus = "active" | "captured" | "released" | "expired";

export interface Reservation {
  id: string;
  object: "reservation";
  amount: DecimalString;
  capturedAmount: DecimalString | null;
  status: ReservationStatus;
  expiresAt: IsoTimestamp;
}

/** What every wallet command answers: the wallet after it, the transaction it wrote. */
export interface WalletOperation {
  wallet: Wallet;
  transaction: WalletTransaction;
  reservation?: Reservation;
}

/** What `reserve` answers: the operation always carries the new reservation. */
export type ReservationOperation = WalletOperation & { reservation: Reservation };

/** One page of a cursor-paginated list, newest first. */
export interface ListPage<T> {
  object: "list";
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}
