import type { UsageCharge } from "./usageTypes.js";

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

/** A merchant's new API key of one environment, from `merchants.rollApiKey`. */
export interface RolledApiKey {
  object: "api_key";
  merchantId: string;
  environment: Environment;
  /** Shown once. */
  apiKey: string;
  /** When the key it replaced stops (or stopped) working. */
  previousKeyExpiresAt: IsoTimestamp;
}

/** Prepaid usage is charged to the wallet as it happens; postpaid usage is accrued, to be invoiced. */
export type BillingMode = "prepaid" | "postpaid";

export interface Customer {
  id: string;
  object: "customer";
  externalId: string;
  name: string | null;
  email: string | null;
  environment: Environment;
  /** The rate card that prices the customer's usage; null until assigned. Absent from pre-metering servers. */
  rateCardId?: string | null;
  billingMode?: BillingMode | null;
  /** The sandbox test clock whose time this customer's billing follows; null on real time. */
  testClockId?: string | null;
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
  /** Prepaid usage charged to the wallet; the events are in `charges`. */
  | "usage"
  /** Postpaid usage accrued for invoicing; the wallet's balance does not move. */
  | "usage_accrual"
  /** Credit bought through a paid top-up (WeChat Pay / Alipay). */
  | "top_up"
  /** Top-up credit taken back by a refund. */
  | "top_up_refund"
  /** Refunded credit given back because the channel refused the refund. */
  | "refund_restored"
  /** Account credit (unused time after a downgrade) moved here when its subscription ended. */
  | "account_credit"
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
  /** Usage transactions only: the events charged or accrued in it. */
  charges?: UsageCharge[];
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

/** Which page of a cursor-paginated list to fetch. */
export interface PageParams {
  /** Page size, 1 to 100 (default 20); a larger one is refused with invalid_request. */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  startingAfter?: string | undefined;
}

/** What a `listAll` takes: the list's filters, and the page size to fetch them in. */
export type ListAllParams<P extends PageParams = PageParams> = Omit<P, keyof PageParams> & {
  pageSize?: number | undefined;
};

/** One page of a cursor-paginated list, newest first. */
export interface ListPage<T> {
  object: "list";
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

/** A whole list, unpaginated. */
export interface List<T> {
  object: "list";
  data: T[];
}

export interface Metric {
  object: "metric";
  /** What usage events name in `metric`. */
  key: string;
  name: string;
  unit: string;
  /** One of the five every merchant has (tokens_input, tokens_output, images, agent_runs, storage_gb_hours). */
  builtIn: boolean;
}

/** Who made a configuration change. */
export interface AuditActor {
  kind?: "api_key" | "admin" | (string & {});
  env?: Environment;
  keyId?: string;
}

/** Facts, in the past tense; known ones autocomplete. */
export type AuditAction =
  "rate_card.created" | "rate_card.version_published" | "customer.updated" | "metric.created" | (string & {});

/** One configuration change: a rate card, version, customer assignment or metric. */
export interface AuditEntry {
  object: "audit_entry";
  /** The ledger record of the change; also the pagination cursor. */
  sequence: number;
  at: IsoTimestamp;
  action: AuditAction;
  entity: string;
  by: AuditActor;
  details: Record<string, unknown>;
}
