/** Commands, context, facts and rejection codes of the wallet; amounts are bigint micro-units. */
export interface Reservation {
  amountMicros: bigint;
  /** Ledger time (ms) from which the reservation may no longer be captured. */
  expiresAt: number;
}

export interface WalletContext {
  /** Total credit: available + reserved. */
  balanceMicros: bigint;
  reservedMicros: bigint;
  reservations: Record<string, Reservation>;
  /** Rated usage so far, per `<price key>@<period start>`: cumulative quantity as a decimal string. */
  usage: Record<string, string>;
}

/**
 * What a usage event was. Logged once, in the charge's command; its fact does not repeat it (a usage
 * batch logs hundreds), so readers take it from the command (actors/walletRecordFacts.ts).
 */
export interface UsageDetail {
  eventKey: string;
  metric: string;
  quantity: string;
  occurredAt: number;
  dimensions: Record<string, string>;
  rateCardId: string;
  rateCardVersion: number;
  currency: string;
  freeQuantity: string;
}

/** Who asked for a change through the API: a merchant's key (its environment and short id) or the admin. */
export interface CommandActor {
  kind: "api_key" | "admin";
  env?: string;
  keyId?: string;
}

/** Every command's id and ledger time; `by` when it came through the API (the ledger keeps who). */
type Stamp = { transactionId: string; at: number; by?: CommandActor };

export type WalletCommand =
  | ({ type: "wallet.grant"; amountMicros: bigint; reason: string } & Stamp)
  | ({ type: "wallet.debit"; amountMicros: bigint; description: string | null } & Stamp)
  | ({ type: "wallet.reserve"; reservationId: string; amountMicros: bigint; expiresAt: number } & Stamp)
  | ({ type: "wallet.capture"; reservationId: string; amountMicros: bigint | null } & Stamp)
  | ({ type: "wallet.release"; reservationId: string } & Stamp)
  | ({ type: "wallet.expire"; reservationId: string } & Stamp)
  /** Credit bought through a paid top-up (collection): always accepted, even when frozen. */
  | ({ type: "wallet.top_up"; amountMicros: bigint; paymentId: string } & Stamp)
  /** Takes refunded top-up credit back; never below zero available. */
  | ({ type: "wallet.refund_top_up"; amountMicros: bigint; refundId: string } & Stamp)
  /** Gives the credit back when the channel refused the refund. */
  | ({ type: "wallet.restore_refund"; amountMicros: bigint; refundId: string } & Stamp)
  | ({ type: "wallet.freeze"; reason: string | null } & Stamp)
  | ({ type: "wallet.unfreeze" } & Stamp)
  /**
   * Account credit a subscription still held when it ended (unused time of a downgrade), moved here
   * so that it stays spendable: always accepted, even when frozen.
   */
  | ({ type: "wallet.receive_credit"; amountMicros: bigint; subscriptionId: string } & Stamp)
  | ({
      type: "wallet.charge";
      /** Prepaid: debited from available; refused below `floorMicros` (0, or minus the card's negative limit). */
      amountMicros: bigint;
      floorMicros: bigint;
      usageKey: string;
      cumulativeAfter: string;
      detail: UsageDetail;
    } & Stamp)
  | ({
      type: "wallet.accrue";
      /** Postpaid: accrued for invoicing in the card's currency; the wallet balance is untouched. */
      amountMicros: bigint;
      usageKey: string;
      cumulativeAfter: string;
      detail: UsageDetail;
    } & Stamp);

export type WalletRejection =
  | "insufficient_balance"
  | "wallet_frozen"
  | "wallet_already_frozen"
  | "wallet_not_frozen"
  | "reservation_not_found"
  | "reservation_expired"
  | "reservation_not_expired"
  | "capture_exceeds_reservation"
  | "reservations_limit_reached";

export type WalletFactType =
  | "wallet.granted"
  | "wallet.debited"
  | "wallet.reserved"
  | "wallet.captured"
  | "wallet.released"
  | "wallet.expired"
  | "wallet.frozen"
  | "wallet.unfrozen"
  | "usage.charged"
  | "usage.accrued"
  | "wallet.topped_up"
  | "wallet.top_up_refunded"
  | "wallet.refund_restored"
  | "wallet.credit_received";

/** Facts carry amounts as digit strings so they log and compare as plain JSON. */
export interface WalletFact {
  type: WalletFactType;
  transactionId: string;
  /** Granted, debited, reserved or captured; for a release or expiry, what went back to available. */
  amountMicros: string;
  reservationId?: string;
  /** Top-ups: the payment that bought the credit; refunds: the refund that took it back. */
  paymentId?: string;
  refundId?: string;
  /** Credit received: the ended subscription that held it. */
  subscriptionId?: string;
  /** For a capture: the part of the reservation released back to available. */
  releasedMicros?: string;
  reason?: string | null;
  description?: string | null;
  expiresAt?: number;
  /** For an accrual: the rate card's currency, which its postings are in. */
  currency?: string;
  balanceAfterMicros: string;
  availableAfterMicros: string;
}
