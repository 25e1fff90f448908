import {
  customerData,
  invoiceData,
  purchaseData,
  reservationStatusOf,
  subscriptionData,
  transactionData,
  usageTransactionId,
  type Customer,
  type MerchantBalancesView,
  type Price,
  type Product,
  type TestClock,
  type PaymentRef,
  type RefundResult,
  type ReservationEntry,
  type TopUpResult,
  type WalletOperation,
  walletShareOf,
  type LedgerWalletFact,
  type WalletShare,
} from "../actors/index.js";
import { feeFen } from "../domain/collection.js";
import { accounts } from "../domain/accounts.js";
import type { Environment } from "../domain/environment.js";
import { fenToMicros, formatMicros } from "../domain/money.js";
import type { PaymentRefund } from "../machines/paymentOrderTypes.js";
import { unappliedFen } from "../machines/paymentOrderMoney.js";
import type { InvoiceContext } from "../machines/invoiceTypes.js";
import type { EntityState } from "../machines/kind.js";
import type { WalletContext, WalletFact } from "../machines/walletTypes.js";
import type { CommittedRecord } from "../actors/index.js";
import type { Entitlement, PurchaseSnapshot, SubscriptionSnapshot } from "../actors/billing.js";

/** JSON views of the API: the only place that turns domain values into response bodies. */

const iso = (ms: number) => new Date(ms).toISOString();

/** The customer as the API and events show it (one shape, built in actors/ for both). */
export const customerView = customerData;

export function walletView(customer: Customer, state: EntityState<WalletContext>) {
  const { balanceMicros, reservedMicros } = state.context;
  return {
    object: "wallet" as const,
    customerExternalId: customer.externalId,
    currency: "CNY" as const,
    balance: formatMicros(balanceMicros),
    reserved: formatMicros(reservedMicros),
    available: formatMicros(balanceMicros - reservedMicros),
    status: state.value === "frozen" ? ("frozen" as const) : ("active" as const),
  };
}

export const transactionView = transactionData;

/** One usage event behind a usage transaction. */
export function chargeView(fact: LedgerWalletFact) {
  const usage = fact.usage;
  return {
    eventKey: usage?.eventKey ?? "",
    metric: usage?.metric ?? "",
    quantity: usage?.quantity ?? "0",
    freeQuantity: usage?.freeQuantity ?? "0",
    dimensions: usage?.dimensions ?? {},
    occurredAt: iso(usage?.occurredAt ?? 0),
    amount: formatMicros(BigInt(fact.amountMicros)),
    currency: usage?.currency ?? "CNY",
    rateCardId: usage?.rateCardId ?? null,
    rateCardVersion: usage?.rateCardVersion ?? null,
  };
}

/**
 * A wallet's view of its part of one record: its own fact, or — for a usage batch that charged many
 * wallets — one "usage" transaction summing this wallet's charges, with the charges behind it.
 */
export function transactionFromShare(share: WalletShare, customerId: string) {
  const { seq, at, facts } = share;
  if (share.own) return transactionView(facts[0] as WalletFact, seq, at);
  const last = facts[facts.length - 1];
  if (!last) throw new Error(`record ${seq} holds no facts of this wallet`);
  // A top-up, its refund or restoration: the wallet's one part of a collection record.
  if (facts.length === 1 && last.usage === undefined) return transactionView(last, seq, at);
  const total = facts.reduce((sum, fact) => sum + BigInt(fact.amountMicros), 0n);
  return {
    ...transactionView({ ...last, amountMicros: total.toString() }, seq, at),
    id: usageTransactionId(seq, customerId),
    charges: facts.map(chargeView),
  };
}

export function transactionFromRecord(record: CommittedRecord, walletEntity: string) {
  return transactionFromShare(walletShareOf(record, walletEntity), walletEntity.slice("wallet:".length));
}

export function reservationView(
  entry: Pick<ReservationEntry, "id" | "status" | "amountMicros" | "capturedMicros" | "expiresAt">,
) {
  return {
    id: entry.id,
    object: "reservation" as const,
    amount: formatMicros(BigInt(entry.amountMicros)),
    capturedAmount: entry.capturedMicros === null ? null : formatMicros(BigInt(entry.capturedMicros)),
    status: entry.status,
    expiresAt: iso(entry.expiresAt),
  };
}

/** The reservation as a wallet fact leaves it. */
function reservationFromFact(fact: WalletFact) {
  if (fact.reservationId === undefined || fact.expiresAt === undefined) return undefined;
  if (!Object.hasOwn(reservationStatusOf, fact.type)) return undefined;
  const status = reservationStatusOf[fact.type as keyof typeof reservationStatusOf];
  // A capture's amount is what it took; the reservation held that and what went back.
  const captured = status === "captured";
  const held = BigInt(fact.amountMicros) + (captured ? BigInt(fact.releasedMicros ?? "0") : 0n);
  return reservationView({
    id: fact.reservationId,
    status,
    amountMicros: held.toString(),
    capturedMicros: captured ? fact.amountMicros : null,
    expiresAt: fact.expiresAt,
  });
}

export function walletOperationView(customer: Customer, op: WalletOperation) {
  const reservation = reservationFromFact(op.fact);
  return {
    wallet: walletView(customer, op.state),
    transaction: transactionView(op.fact, op.seq, op.at),
    ...(reservation ? { reservation } : {}),
  };
}

const yuanOfFen = (fen: bigint) => formatMicros(fenToMicros(fen));
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function topUpView(result: TopUpResult) {
  const payment = result.payment.context;
  return {
    object: "top_up" as const,
    invoiceId: result.ref.invoiceId,
    paymentId: result.ref.paymentId,
    checkoutUrl: result.checkoutUrl,
    amount: yuanOfFen(payment.amountFen),
    currency: "CNY" as const,
    channel: payment.channel,
    expiresAt: iso(payment.expiresAt),
    status: result.payment.value,
    action: payment.action,
  };
}

/** A payment attempt of a subscription or purchase invoice: a top-up's shape, named for what it is. */
export function invoicePaymentView(result: TopUpResult) {
  return { ...topUpView(result), object: "invoice_payment" as const };
}

export function refundView(ref: PaymentRef, id: string, refund: PaymentRefund) {
  return {
    id,
    object: "refund" as const,
    invoiceId: ref.invoiceId,
    paymentId: ref.paymentId,
    amount: yuanOfFen(refund.amountFen),
    currency: "CNY" as const,
    reason: refund.reason,
    status: refund.status,
    createdAt: iso(refund.requestedAt),
  };
}

/** A refund as its request left it: pending until the channel settles it. */
export function requestedRefundView(result: RefundResult) {
  return refundView(result.ref, result.refundId, {
    amountFen: result.amountFen,
    reason: result.reason,
    status: "pending",
    submitted: false,
    requestedAt: result.requestedAt,
    settledAt: null,
    channelState: null,
  });
}

/** An invoice with its latest payment attempt (a billing invoice may have none yet). */
export interface InvoiceReading {
  invoice: EntityState<InvoiceContext>;
  customerExternalId: string;
  checkoutUrl: string;
  attempt: TopUpResult | undefined;
}

export function invoiceView(reading: InvoiceReading | TopUpResult) {
  const read: InvoiceReading =
    "attempt" in reading
      ? reading
      : {
          invoice: reading.invoice,
          customerExternalId: reading.ref.customerExternalId,
          checkoutUrl: reading.checkoutUrl,
          attempt: reading,
        };
  // The event payload's invoice (less its paymentId), plus what only a reader has.
  const { paymentId: _paymentId, ...invoice } = invoiceData(read.invoice, read.customerExternalId);
  return {
    ...invoice,
    checkoutUrl: read.checkoutUrl,
    payment: read.attempt ? attemptView(read.attempt) : null,
    refunds: read.attempt ? refundsOf(read.attempt) : [],
  };
}

function refundsOf(attempt: TopUpResult) {
  return Object.entries(attempt.payment.context.refunds)
    .map(([id, refund]) => refundView(attempt.ref, id, refund))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

function attemptView(result: TopUpResult) {
  const payment = result.payment.context;
  const paid = payment.settlement === "credited";
  const channelFee = paid ? feeFen(payment.amountFen, payment.channelFeeBps) : null;
  const platformFee = paid ? feeFen(payment.amountFen, payment.platformFeeBps) : null;
  return {
    id: result.ref.paymentId,
    status: result.payment.value,
    channel: payment.channel,
    expiresAt: iso(payment.expiresAt),
    transactionId: payment.transactionId,
    paidAt: isoOrNull(payment.paidAt),
    channelFee: channelFee === null ? null : yuanOfFen(channelFee),
    platformFee: platformFee === null ? null : yuanOfFen(platformFee),
    netAmount:
      channelFee === null || platformFee === null
        ? null
        : yuanOfFen(payment.amountFen - channelFee - platformFee),
    refundedAmount: yuanOfFen(payment.refundedFen),
    refundingAmount: yuanOfFen(payment.refundingFen),
    unappliedAmount: yuanOfFen(unappliedFen(payment)),
    failure: payment.failure,
    flags: payment.flags.map((flag) => ({
      reason: flag.reason,
      transactionId: flag.transactionId,
      amount: yuanOfFen(flag.amountFen),
      currency: flag.currency,
      refundId: flag.refundId,
      unapplied: flag.settlement === "unapplied",
      at: iso(flag.at),
    })),
  };
}

/** The public checkout page's poll: only what the payer's browser needs. */
export function checkoutStatusView(result: TopUpResult) {
  const state = result.payment.value;
  const failure = result.payment.context.failure;
  const status: "paid" | "pending" | "expired" | "failed" =
    result.invoice.value === "paid"
      ? "paid"
      : state === "pending" || state === "created"
        ? "pending"
        : failure?.code === "expired"
          ? "expired"
          : "failed";
  return {
    object: "checkout_status" as const,
    invoiceId: result.ref.invoiceId,
    status,
    amount: yuanOfFen(result.invoice.context.amountFen),
    currency: "CNY" as const,
  };
}

/** The merchant's accounts by the names of the API; an account with no postings is zero. */
export function balanceView(env: Environment, merchantId: string, view: MerchantBalancesView) {
  return {
    object: "balance" as const,
    environment: env,
    ledgerSequence: view.throughSeq,
    balances: view.currencies.map(({ currency, accountsMicros }) => {
      const amount = (account: (env: Environment, merchantId: string) => string) =>
        formatMicros(accountsMicros.get(account(env, merchantId)) ?? 0n);
      return {
        currency,
        payable: amount(accounts.merchantPayable),
        unappliedPayments: amount(accounts.merchantUnappliedPayments),
        prepaidCreditSold: amount(accounts.merchantPrepaidCreditSold),
        usageRevenue: amount(accounts.merchantRevenue),
        promotions: amount(accounts.merchantPromotions),
      };
    }),
  };
}

export function productView(product: Product) {
  return {
    id: product.id,
    object: "product" as const,
    name: product.name,
    nameZh: product.nameZh,
    description: product.description,
    createdAt: iso(product.createdAt),
  };
}

export function priceView(price: Price) {
  return {
    id: price.id,
    object: "price" as const,
    productId: price.productId,
    type: price.type,
    unitAmount: yuanOfFen(BigInt(price.amountFen)),
    currency: price.currency,
    nickname: price.nickname,
    interval: price.interval,
    refundWindowDays: price.refundWindowDays,
    createdAt: iso(price.createdAt),
  };
}

export function testClockView(clock: TestClock) {
  return {
    id: clock.id,
    object: "test_clock" as const,
    name: clock.name,
    frozenTime: iso(clock.frozenTime),
    status: clock.status,
    createdAt: iso(clock.createdAt),
  };
}

export function subscriptionView(snapshot: SubscriptionSnapshot) {
  return subscriptionData(snapshot.subscription, snapshot.ref.customerExternalId);
}

export function purchaseView(snapshot: PurchaseSnapshot) {
  return purchaseData(snapshot.purchase, snapshot.ref.customerExternalId);
}

export function entitlementView(entitlement: Entitlement) {
  return {
    object: "entitlement" as const,
    productId: entitlement.productId,
    priceId: entitlement.priceId,
    source: entitlement.source,
    sourceId: entitlement.sourceId,
    grantedAt: iso(entitlement.grantedAt),
    endsAt: isoOrNull(entitlement.endsAt),
  };
}
