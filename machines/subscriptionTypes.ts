/** Commands, context, facts and rejection codes of a subscription; amounts are bigint fen. */
export type SubscriptionStatus = "new" | "incomplete" | "active" | "past_due" | "canceled";

export type SubscriptionCancelReason = "requested" | "unpaid" | "incomplete_expired";

/** A price the subscription moves to when the current period ends. */
export interface SubscriptionPendingChange {
  priceId: string;
  amountFen: bigint;
}

export interface SubscriptionContext {
  subscriptionId: string;
  customerId: string;
  productId: string;
  priceId: string;
  /** The current monthly price. */
  amountFen: bigint;
  /** The machine's state, kept in the context so a fact can name it. */
  status: SubscriptionStatus;
  /** The billing cycle anchor: when the subscription was created. */
  anchorAt: number;
  /** 0 for the first period. */
  periodIndex: number;
  currentPeriodStart: number;
  currentPeriodEnd: number;
  latestInvoiceId: string;
  /** The latest cycle invoice while it is unpaid; a proration invoice never goes here. */
  unpaidInvoiceId: string | null;
  graceEndsAt: number | null;
  pendingChange: SubscriptionPendingChange | null;
  cancelAtPeriodEnd: boolean;
  /** Unused-time credit owed to the customer, applied to the next cycle invoices; never negative. */
  creditFen: bigint;
  createdAt: number;
  canceledAt: number | null;
  cancelReason: SubscriptionCancelReason | null;
}

type Stamp = { at: number };

export type SubscriptionCommand =
  | ({
      type: "subscription.create";
      subscriptionId: string;
      customerId: string;
      productId: string;
      priceId: string;
      amountFen: bigint;
      periodEnd: number;
      invoiceId: string;
    } & Stamp)
  | ({ type: "subscription.pay_invoice"; invoiceId: string } & Stamp)
  | ({
      type: "subscription.renew";
      invoiceId: string;
      periodEnd: number;
      graceEndsAt: number;
      creditAppliedFen: bigint;
      /** True when credit covered the whole renewal invoice: nothing is left to pay. */
      invoicePaid: boolean;
    } & Stamp)
  | ({ type: "subscription.lapse"; invoiceId: string } & Stamp)
  | ({
      type: "subscription.change_price";
      priceId: string;
      amountFen: bigint;
      timing: "immediately";
      /** Credit for the unused time of the old price (a downgrade); 0 for an upgrade. */
      creditFen: bigint;
      /** An upgrade's proration invoice, or null when nothing is charged now. */
      invoiceId: string | null;
      /**
       * When the proration invoice's grace ends: it is owed like a renewal's (unpaid until paid, past
       * due after this). Absent in records written before prorations were owed so.
       */
      graceEndsAt?: number;
      /**
       * Refused while an invoice of the subscription is unpaid: credit is owed only for time that was
       * paid. Decided here, in the record's own turn, not by a check before it that a renewal could
       * overtake. Absent in records written before the machine checked it.
       */
      whilePaidUp?: true;
    } & Stamp)
  | ({ type: "subscription.change_price"; priceId: string; amountFen: bigint; timing: "period_end" } & Stamp)
  | ({
      type: "subscription.cancel";
      mode: "immediately";
      reason: "requested" | "unpaid";
      creditReleasedFen?: bigint;
    } & Stamp)
  | ({ type: "subscription.cancel"; mode: "period_end" } & Stamp)
  | ({ type: "subscription.resume" } & Stamp)
  /**
   * `creditReleasedFen`, on the commands that end a subscription: all the credit it holds, moved to
   * the customer's wallet in the same record (absent in records written before credit moved).
   */
  | ({ type: "subscription.end"; creditReleasedFen?: bigint } & Stamp)
  | ({ type: "subscription.expire_incomplete" } & Stamp);

export type SubscriptionRejection =
  | "subscription_not_found"
  | "subscription_exists"
  | "invalid_amount"
  | "invalid_period"
  | "invalid_credit"
  | "period_not_ended"
  | "period_ended"
  | "cancel_scheduled"
  | "cancel_not_scheduled"
  | "not_scheduled_to_cancel"
  | "subscription_not_renewable"
  | "subscription_not_active"
  | "subscription_not_incomplete"
  | "subscription_canceled"
  | "already_past_due"
  | "not_lapsed"
  | "same_price"
  | "invoice_unpaid";

export type SubscriptionFactType =
  | "subscription.created"
  | "subscription.invoice_paid"
  | "subscription.renewed"
  | "subscription.past_due"
  | "subscription.price_changed"
  | "subscription.cancel_scheduled"
  | "subscription.resumed"
  | "subscription.canceled";

/** Facts carry amounts as digit strings so they log and compare as plain JSON. */
export interface SubscriptionFact {
  type: SubscriptionFactType;
  subscriptionId: string;
  customerId: string;
  productId: string;
  priceId: string;
  /** The current price after the command. */
  amountFen: string;
  /** The state after the command. */
  status: Exclude<SubscriptionStatus, "new">;
  invoiceId?: string | null;
  /** Paying the unpaid cycle invoice moved it to active. */
  activated?: boolean;
  periodIndex?: number;
  currentPeriodStart?: number;
  currentPeriodEnd?: number;
  graceEndsAt?: number | null;
  invoicePaid?: boolean;
  creditAppliedFen?: string;
  /** A price change: credit granted for the unused time. */
  creditFen?: string;
  /** What credit the customer holds after the command. */
  creditBalanceFen?: string;
  /** The subscription ended: the credit it held, moved to the customer's wallet. */
  creditReleasedFen?: string;
  /** A renewal that applied a scheduled price change. */
  priceChanged?: boolean;
  fromPriceId?: string;
  fromAmountFen?: string;
  toPriceId?: string;
  toAmountFen?: string;
  timing?: "immediately" | "period_end";
  cancelReason?: SubscriptionCancelReason;
  canceledAt?: number;
}
