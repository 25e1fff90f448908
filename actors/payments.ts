import {
  assertFeeRates,
  defaultFeeRates,
  providerOfChannel,
  type CollectionChannel,
  type FeeRates,
  type PaymentProvider,
} from "../domain/collection.js";
import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { KeyedTurns } from "../domain/keyedTurns.js";
import { limits } from "../domain/limits.js";
import { formatMicros, fenToMicros } from "../domain/money.js";
import type { EntityState } from "../machines/kind.js";
import { channelTotalFen } from "../machines/paymentOrderMoney.js";
import type { PaymentContext } from "../machines/paymentOrderTypes.js";
import type { Log } from "../wal/log.js";
import type { IndexOp } from "../wal/record.js";
import type { Customer } from "./customers.js";
import type { MerchantDirectory } from "./merchants.js";
import {
  GatewayError,
  noPaymentGateway,
  type CallbackHeaders,
  type GatewayAck,
  type GatewayNotification,
  type GatewayOrderInput,
  type PaymentGateway,
  type SimulatedOutcome,
} from "./paymentGateway.js";
import {
  invoiceIdPattern,
  invoiceRefKey,
  paymentIdPattern,
  paymentRefKey,
  paymentTimerPrefix,
  putTimer,
  reconcileTimerKey,
  refundCheckTimerKey,
  type PaymentRef,
  type PaymentTimer,
} from "./paymentIndexes.js";
import {
  isCollectable,
  isEnded,
  type Collection,
  type PaidNotice,
  type PaymentLedger,
} from "./paymentRecords.js";
import type { TimerKind } from "./timers.js";
import type { CrossKindOutcome } from "./crossKindRecord.js";
import { invoiceEntity } from "../machines/invoiceKind.js";

export interface CollectionOptions {
  gateway: PaymentGateway;
  /** The server's public base URL (no trailing slash): checkout pages and channel callbacks use it. */
  publicUrl: () => string;
  feeRates?: FeeRates;
  orderExpiryMs?: number;
  /**
   * When an order with no callback yet is first queried at the channel (then at doubling intervals,
   * until it expires); 0 leaves it to the expiry alone.
   */
  reconcileAfterMs?: number;
}

export interface TopUpInput {
  amountFen: bigint;
  channel: CollectionChannel;
  payerOpenId?: string;
  clientIp?: string;
  returnUrl?: string;
}

export interface TopUpResult extends Collection {
  checkoutUrl: string;
}

export interface RefundResult {
  ref: PaymentRef;
  refundId: string;
  amountFen: bigint;
  reason: string | null;
  requestedAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Prepaid top-ups collected through WeChat Pay and Alipay. Every change is a record first (see
 * PaymentLedger); the channel is called only after the record that needs the call is durable, and
 * what the channel reports (callbacks, queries) is recorded before it is acknowledged.
 */
export class PaymentService {
  private readonly gateway: PaymentGateway;
  private readonly publicUrl: () => string;
  private readonly feeRates: FeeRates;
  private readonly orderExpiryMs: number;
  private readonly reconcileAfterMs: number;
  /**
   * Refs by lookup key, oldest first: a ref never changes once its record is durable, and callbacks
   * and checkout polls come soon after the order, so the index read is mostly skipped (bounded).
   */
  private readonly refs = new Map<string, PaymentRef>();
  /** Channel queries from reconcile timers in flight (bounded: a sweep may find thousands due). */
  private reconciling = 0;
  /** Timers whose channel call failed: not retried before this time (ms). */
  private readonly backoff = new Map<string, { attempts: number; retryAt: number }>();
  private readonly dispatching = new Set<string>();
  /** Invoices whose payment is being started: the next request for one waits its turn. */
  private readonly payingInvoices = new KeyedTurns();

  constructor(
    private readonly log: Log,
    readonly ledger: PaymentLedger,
    private readonly merchants: MerchantDirectory,
    options: CollectionOptions | undefined,
  ) {
    this.gateway = options?.gateway ?? noPaymentGateway;
    this.publicUrl = options?.publicUrl ?? (() => "");
    this.feeRates = options?.feeRates ?? defaultFeeRates;
    this.orderExpiryMs = options?.orderExpiryMs ?? limits.paymentOrderExpiryMsDefault;
    this.reconcileAfterMs = options?.reconcileAfterMs ?? limits.paymentReconcileAfterMsDefault;
    assertFeeRates(this.feeRates);
  }

  checkoutUrl(invoiceId: string): string {
    return `${this.publicUrl()}/checkout/${invoiceId}`;
  }

  /** Whether a channel can collect in an environment (the checkout page offers only these). */
  supports(env: Environment, channel: CollectionChannel): boolean {
    return this.gateway.supports(env, providerOfChannel(channel));
  }

  /**
   * Opens an invoice and a payment order for it (one record), then asks the channel for its order and
   * records what the buyer needs to pay. A channel refusal closes the payment, recorded, and is raised.
   */
  async topUp(
    customer: Customer,
    input: TopUpInput,
    idempotency?: (result: TopUpResult) => { scope: string; op: IndexOp },
  ): Promise<TopUpResult> {
    if (input.amountFen < limits.topUpFenMin || input.amountFen > limits.topUpFenMax) {
      throw new DomainError(
        "invalid_amount",
        `a top-up is ¥0.01 to ¥${formatMicros(fenToMicros(limits.topUpFenMax))}`,
      );
    }
    const yuan = formatMicros(fenToMicros(input.amountFen));
    return this.collect(
      customer,
      newId("inv"),
      input,
      "余额充值 top-up ¥" + yuan,
      (ref, order, reconcileAt) =>
        this.ledger.create(
          ref,
          order,
          [{ description: `Wallet top-up 钱包充值 ¥${yuan}`, amountFen: input.amountFen }],
          reconcileAt,
        ),
      idempotency,
    );
  }

  /**
   * Starts paying an open billing invoice through a channel: one payment order at a time. While an
   * attempt is still payable it is returned again (same channel) or refused (another channel).
   */
  payInvoice(
    customer: Customer,
    invoiceId: string,
    input: Omit<TopUpInput, "amountFen">,
    idempotency?: (result: TopUpResult) => { scope: string; op: IndexOp },
  ): Promise<TopUpResult> {
    // One at a time per invoice: two concurrent requests must not both find no attempt and each
    // open a live channel order (the buyer could pay both).
    return this.payingInvoices.run(invoiceId, () =>
      this.startInvoicePayment(customer, invoiceId, input, idempotency),
    );
  }

  private async startInvoicePayment(
    customer: Customer,
    invoiceId: string,
    input: Omit<TopUpInput, "amountFen">,
    idempotency?: (result: TopUpResult) => { scope: string; op: IndexOp },
  ): Promise<TopUpResult> {
    const current = await this.findRef(invoiceRefKey(invoiceId));
    if (current) {
      const { payment } = await this.ledger.read(current);
      if (isCollectable(payment)) {
        if (current.channel === input.channel && payment.context.action)
          return { ...(await this.ledger.read(current)), checkoutUrl: this.checkoutUrl(invoiceId) };
        throw new DomainError(
          "payment_in_progress",
          `a ${current.channel} payment of this invoice is still open until ${new Date(payment.context.expiresAt).toISOString()}`,
        );
      }
    }
    const invoice = (await this.ledger.invoices.read(invoiceEntity(invoiceId), invoiceId)).committed;
    if (invoice.value !== "open") {
      throw new DomainError("invoice_not_open", `the invoice is ${invoice.value}`);
    }
    return this.collect(
      customer,
      invoiceId,
      { ...input, amountFen: invoice.context.amountFen },
      `${invoice.context.number ?? invoiceId}`,
      (ref, order, reconcileAt) => this.ledger.createForInvoice(ref, order, reconcileAt),
      idempotency,
    );
  }

  /**
   * Opens a payment order (with its invoice for a top-up) in one record, then asks the channel for its
   * order and records what the buyer needs to pay. A channel refusal closes the payment, recorded, and
   * is raised.
   */
  private async collect(
    customer: Customer,
    invoiceId: string,
    input: TopUpInput,
    subject: string,
    create: (
      ref: PaymentRef,
      order: Parameters<PaymentLedger["createForInvoice"]>[1],
      reconcileAt: number | undefined,
    ) => Promise<CrossKindOutcome>,
    idempotency?: (result: TopUpResult) => { scope: string; op: IndexOp },
  ): Promise<TopUpResult> {
    const provider = providerOfChannel(input.channel);
    if (!this.gateway.supports(customer.env, provider)) {
      throw new DomainError("channel_not_configured", `${provider} is not configured in ${customer.env}`);
    }
    const merchant = await this.merchants.find(customer.merchantId);
    const ref: PaymentRef = {
      paymentId: newId("pay"),
      invoiceId,
      env: customer.env,
      merchantId: customer.merchantId,
      customerId: customer.id,
      customerExternalId: customer.externalId,
      channel: input.channel,
      provider,
    };
    const now = this.log.now();
    const expiresAt = now + this.orderExpiryMs;
    const reconcileAt = this.nextReconcileAt(now, 0, expiresAt);
    const order: GatewayOrderInput = {
      env: customer.env,
      channel: input.channel,
      outTradeNo: ref.paymentId,
      amountFen: input.amountFen,
      description: `${(merchant?.name ?? "BuffMoney").slice(0, 80)} ${subject}`,
      expiresAt: new Date(expiresAt),
      attach: ref.invoiceId,
      ...(input.payerOpenId !== undefined ? { payerOpenId: input.payerOpenId } : {}),
      ...(input.clientIp !== undefined ? { clientIp: input.clientIp } : {}),
      ...(input.returnUrl !== undefined ? { returnUrl: input.returnUrl } : {}),
    };
    const violations = this.gateway.checkOrder(order);
    if (violations.length > 0) {
      const detail = violations.map((v) => `${v.field}: ${v.rule}`).join("; ");
      throw new DomainError(
        "channel_limit_exceeded",
        `the ${input.channel} order breaks its limits: ${detail}`,
        {
          violations,
        },
      );
    }
    const created = await create(
      ref,
      {
        customerId: customer.id,
        channel: input.channel,
        amountFen: input.amountFen,
        currency: "CNY",
        expiresAt,
        channelFeeBps: this.feeRates.channelBps[provider],
        platformFeeBps: this.feeRates.platformBps,
      },
      reconcileAt,
    );
    if (!created.ok) {
      if (created.code === "invoice_not_open")
        throw new DomainError("invoice_not_open", "the invoice is no longer open");
      throw new Error(`payment ${ref.paymentId} refused: ${created.code}`);
    }
    this.keepRef(paymentRefKey(ref.paymentId), ref);
    this.keepRef(invoiceRefKey(ref.invoiceId), ref);

    let action;
    try {
      ({ action } = await this.gateway.createOrder(order));
    } catch (error) {
      const failure = describeFailure(error);
      await this.ledger.end(ref, "close", failure.code, failure.message);
      if (failure.code === "invalid_order") {
        throw new DomainError("channel_limit_exceeded", failure.message, failure.details);
      }
      throw new DomainError("channel_error", `the channel did not create the order: ${failure.message}`);
    }
    const invoice = (await this.ledger.read(ref)).invoice;
    const checkoutUrl = this.checkoutUrl(ref.invoiceId);
    const opened = await this.ledger.open(
      ref,
      action,
      (payment) => ({ ref, invoice, payment, checkoutUrl }),
      idempotency,
    );
    if (!opened.ok) return { ...(await this.ledger.read(ref)), checkoutUrl };
    return opened.result;
  }

  /** A channel callback: verify, record durably, then answer what the channel expects. */
  async handleCallback(
    provider: PaymentProvider,
    headers: CallbackHeaders,
    rawBody: Uint8Array,
  ): Promise<GatewayAck> {
    const parsed = await this.gateway.parseCallback(provider, headers, rawBody);
    if (!parsed.accepted) {
      console.warn(`${provider} callback refused (${parsed.rejection}): ${parsed.detail}`);
      return parsed.ack;
    }
    try {
      await this.apply(parsed.env, parsed.notification);
      return parsed.ack;
    } catch (error) {
      console.error(
        `${provider} callback ${parsed.eventId} could not be recorded; the channel will resend`,
        error,
      );
      return parsed.nack;
    }
  }

  private async apply(env: Environment, notice: GatewayNotification): Promise<void> {
    const ref = await this.findPayment(notice.outTradeNo);
    if (!ref || ref.env !== env) {
      console.warn(`callback for an order this ledger does not hold: ${notice.outTradeNo}`);
      return;
    }
    switch (notice.type) {
      case "payment_succeeded":
        return this.recordPaid(ref, {
          transactionId: notice.transactionId,
          amountFen: notice.amountFen,
          currency: notice.currency,
          paidAt: notice.paidAt.getTime(),
          payerId: notice.payerId ?? null,
        });
      case "refund_succeeded":
        return this.recordRefunded(ref, notice.outRefundNo, notice.transactionId, notice.refundFen);
      case "refund_failed":
        await this.ledger.failRefund(ref, notice.outRefundNo, notice.channelState);
        return;
      case "refund_processing":
        // Still the channel's to settle: it stays pending (and is asked about again).
        return;
      case "payment_closed": {
        const { payment } = await this.ledger.read(ref);
        if (isCollectable(payment))
          await this.ledger.end(ref, "close", "closed_by_channel", "the channel closed it");
        return;
      }
    }
  }

  /**
   * Credits exactly once per channel transaction. A verified success that cannot be applied (a wrong
   * amount, a second transaction) is flagged and its money held as unapplied, in one record, once per
   * transaction: never credited. An order paid the wrong amount can no longer be paid right, so it is
   * closed, which ends its expiry and reconcile queries.
   */
  private async recordPaid(ref: PaymentRef, paid: PaidNotice): Promise<void> {
    const applied = await this.ledger.succeed(ref, paid);
    if (applied.ok) return;
    switch (applied.code) {
      case "duplicate_payment":
        return;
      case "transaction_conflict":
        return this.holdUnapplied(ref, applied.code, paid);
      case "amount_mismatch":
        // Held first, then closed: after a crash in between, the order's timers repeat both.
        await this.holdUnapplied(ref, applied.code, paid);
        return this.closeMismatched(ref, paid);
      case "transaction_held":
        return this.closeMismatched(ref, paid);
      default:
        throw new Error(`payment ${ref.paymentId}: the success was refused with ${applied.code}`);
    }
  }

  private holdUnapplied(
    ref: PaymentRef,
    reason: "amount_mismatch" | "transaction_conflict",
    paid: PaidNotice,
  ): Promise<void> {
    // Only CNY the channel took can sit in unapplied payments; anything else (which no adapter
    // reports today) is flagged for operations alone, so the callback is still acknowledged.
    const holdable = paid.currency === "CNY" && paid.amountFen > 0n;
    return this.ledger.flag(ref, {
      reason,
      transactionId: paid.transactionId,
      amountFen: paid.amountFen,
      currency: paid.currency,
      refundId: null,
      ...(holdable ? { settlement: "unapplied" as const } : {}),
    });
  }

  private async closeMismatched(ref: PaymentRef, paid: PaidNotice): Promise<void> {
    const { payment } = await this.ledger.read(ref);
    if (!isCollectable(payment)) return;
    const yuan = (fen: bigint) => formatMicros(fenToMicros(fen));
    await this.ledger.end(
      ref,
      "close",
      "amount_mismatch",
      `the channel took ¥${yuan(paid.amountFen)} (transaction ${paid.transactionId}) for this ¥${yuan(payment.context.amountFen)} order; held in unapplied payments for a refund`,
    );
  }

  private async recordRefunded(
    ref: PaymentRef,
    refundId: string,
    transactionId: string,
    refundFen: bigint | undefined,
  ): Promise<void> {
    const { payment } = await this.ledger.read(ref);
    const refund = payment.context.refunds[refundId];
    if (!refund) {
      console.warn(`refund ${refundId} of ${ref.paymentId} is not one of ours`);
      return;
    }
    if (refundFen !== undefined && refundFen !== refund.amountFen) {
      await this.ledger.flag(ref, {
        reason: "refund_amount_mismatch",
        transactionId,
        amountFen: refundFen,
        currency: "CNY",
        refundId,
      });
      return;
    }
    const completed = await this.ledger.completeRefund(ref, refundId);
    if (!completed.ok && completed.code === "refund_not_pending" && refund.status === "failed") {
      // Paid out after we recorded it failed and gave the credit back: operations must settle it.
      await this.ledger.flag(ref, {
        reason: "refund_succeeded_after_failure",
        transactionId,
        amountFen: refund.amountFen,
        currency: "CNY",
        refundId,
      });
    }
  }

  /**
   * Refunds a paid invoice through its channel. The credit leaves the wallet in the request's record
   * (refused if that would take available below zero); the channel call follows from the outbox.
   */
  async refund(
    env: Environment,
    merchantId: string,
    input: { invoiceId: string; paymentId?: string | undefined; amountFen: bigint; reason: string | null },
    idempotency?: (result: RefundResult) => { scope: string; op: IndexOp },
  ): Promise<RefundResult> {
    const latest = await this.requireInvoice(env, merchantId, input.invoiceId);
    const ref =
      input.paymentId === undefined || input.paymentId === latest.paymentId
        ? latest
        : await this.findPayment(input.paymentId);
    if (!ref || ref.invoiceId !== input.invoiceId || ref.env !== env || ref.merchantId !== merchantId) {
      throw new DomainError(
        "invoice_not_found",
        `no payment ${input.paymentId ?? ""} of invoice ${input.invoiceId}`,
      );
    }
    if (!this.gateway.supports(env, ref.provider)) {
      throw new DomainError("channel_not_configured", `${ref.provider} is not configured in ${env}`);
    }
    const refundId = newId("rfd");
    const requested = await this.ledger.requestRefund(
      ref,
      { refundId, amountFen: input.amountFen, reason: input.reason },
      (ctx) => ({ ref, refundId, amountFen: input.amountFen, reason: input.reason, requestedAt: ctx.at }),
      idempotency,
    );
    if (!requested.ok) throw refundRefusal(requested.code);
    void this.dispatchRefund(ref, refundId).catch((error: unknown) =>
      console.error(`refund ${refundId} will be sent again`, error),
    );
    return requested.result;
  }

  /** Sends a requested refund to the channel (again: the same refund id makes it idempotent there). */
  private async dispatchRefund(ref: PaymentRef, refundId: string): Promise<void> {
    if (this.dispatching.has(refundId)) return;
    this.dispatching.add(refundId);
    try {
      const { payment } = await this.ledger.read(ref);
      const refund = payment.context.refunds[refundId];
      if (!refund || refund.status !== "pending" || refund.submitted) return;
      let status;
      try {
        status = await this.gateway.refund({
          env: ref.env,
          provider: ref.provider,
          outTradeNo: ref.paymentId,
          outRefundNo: refundId,
          refundFen: refund.amountFen,
          totalFen: channelTotalFen(payment.context),
          ...(refund.reason ? { reason: refund.reason } : {}),
        });
      } catch (error) {
        if (error instanceof GatewayError && !error.retryable) {
          await this.ledger.failRefund(ref, refundId, `${error.code}: ${error.message}`);
          return;
        }
        throw error;
      }
      if (status.status === "succeeded") await this.recordRefunded(ref, refundId, "", status.refundFen);
      else if (status.status === "failed") await this.ledger.failRefund(ref, refundId, status.channelState);
      else if (status.status === "processing")
        await this.ledger.submitRefund(
          ref,
          refundId,
          status.channelState,
          Math.max(0, this.reconcileAfterMs),
        );
      else throw new Error(`the channel does not know refund ${refundId} yet`);
    } finally {
      this.dispatching.delete(refundId);
    }
  }

  /** Asks the channel what became of a payment and its refunds (a callback may never come). */
  async reconcile(paymentId: string): Promise<Collection> {
    const ref = await this.findPayment(paymentId);
    if (!ref) throw new DomainError("invoice_not_found", `no payment ${paymentId}`);
    let { payment } = await this.ledger.read(ref);
    if (isCollectable(payment) || isEnded(payment)) await this.recordChannelOrder(ref, "closed_by_channel");
    ({ payment } = await this.ledger.read(ref));
    for (const [refundId, refund] of Object.entries(payment.context.refunds)) {
      if (refund.status !== "pending") continue;
      if (!refund.submitted) {
        await this.dispatchRefund(ref, refundId);
        continue;
      }
      const found = await this.gateway.queryRefund(ref.env, ref.provider, {
        outTradeNo: ref.paymentId,
        outRefundNo: refundId,
      });
      if (found.status === "succeeded") await this.recordRefunded(ref, refundId, "", found.refundFen);
      if (found.status === "failed") await this.ledger.failRefund(ref, refundId, found.channelState);
    }
    return this.ledger.read(ref);
  }

  /**
   * Queries the channel's order and records what it says: paid (credited once, however often this
   * and the callback report it), failed, or closed (recorded with `closedCode`). Returns the payment.
   */
  private async recordChannelOrder(
    ref: PaymentRef,
    closedCode: "closed_by_channel" | "expired",
  ): Promise<EntityState<PaymentContext>> {
    const { payment } = await this.ledger.read(ref);
    const order = await this.gateway.queryOrder(ref.env, ref.provider, ref.paymentId);
    if (order.status === "paid" && order.transactionId) {
      await this.recordPaid(ref, {
        transactionId: order.transactionId,
        amountFen: order.amountFen ?? payment.context.amountFen,
        currency: "CNY",
        paidAt: order.paidAt?.getTime() ?? this.log.now(),
        payerId: order.payerId ?? null,
      });
    } else if (order.status === "failed" && isCollectable(payment)) {
      await this.ledger.end(ref, "fail", "payment_failed", `the channel says ${order.channelState}`);
    } else if (order.status === "closed" && isCollectable(payment)) {
      await this.ledger.end(ref, "close", closedCode, `the channel says ${order.channelState}`);
    }
    return (await this.ledger.read(ref)).payment;
  }

  /**
   * The order's time is up. Its callback may have been lost, so the channel is asked first: paid is
   * credited; otherwise the order is closed at the channel, then recorded closed (or paid, if the buyer
   * paid in between).
   */
  async expire(paymentId: string): Promise<void> {
    const ref = await this.findPayment(paymentId);
    if (ref) await this.closeAtChannel(ref, "expired", "the order expired unpaid");
  }

  /**
   * The invoice was voided (its subscription canceled, its first invoice expired): its live payment
   * attempt is closed at the channel too, so the buyer can no longer pay it. Money that arrived first
   * is recorded (unapplied, refundable). The order's own expiry does the same if this call fails.
   */
  async closeAttempt(invoiceId: string): Promise<void> {
    const ref = invoiceIdPattern.test(invoiceId) ? await this.findRef(invoiceRefKey(invoiceId)) : undefined;
    if (ref) await this.closeAtChannel(ref, "invoice_voided", "the invoice was voided");
  }

  private async closeAtChannel(ref: PaymentRef, code: "expired" | "invoice_voided", message: string) {
    const { payment } = await this.ledger.read(ref);
    if (!isCollectable(payment)) return;
    const closedCode = code === "expired" ? "expired" : "closed_by_channel";
    if (!isCollectable(await this.recordChannelOrder(ref, closedCode))) return;
    const outcome = await this.gateway.closeOrder(ref.env, ref.provider, ref.paymentId);
    if (outcome === "already_paid") await this.recordChannelOrder(ref, closedCode);
    else await this.ledger.end(ref, "close", code, message);
  }

  /**
   * A reconcile timer: asks the channel about an order still waiting for its callback. If it is still
   * unpaid, the timer moves to the next query (doubling intervals) in one batch with its removal.
   * Returns false, leaving it due, when enough queries are in flight already.
   */
  private async reconcileDue(key: string, timer: { paymentId: string; attempt: number }): Promise<boolean> {
    if (this.reconciling >= limits.paymentReconcileQueriesMax) return false;
    this.reconciling += 1;
    try {
      const ref = await this.findPayment(timer.paymentId);
      const next = ref ? await this.reconcileWaiting(ref, timer.attempt) : undefined;
      const moved: IndexOp[] =
        next === undefined
          ? []
          : [
              putTimer(reconcileTimerKey(next, timer.paymentId), {
                kind: "reconcile",
                paymentId: timer.paymentId,
                attempt: timer.attempt + 1,
              }),
            ];
      await this.log.writeOps([{ type: "del", key }, ...moved], { sync: true });
      return true;
    } finally {
      this.reconciling -= 1;
    }
  }

  /**
   * Asks the channel about a refund it took and has not reported: records a success or a failure, or
   * (still processing) moves the timer to the next query, doubling, in one batch with its removal.
   */
  private async refundCheckDue(
    key: string,
    timer: { paymentId: string; refundId: string; attempt: number },
  ): Promise<boolean> {
    if (this.reconciling >= limits.paymentReconcileQueriesMax) return false;
    this.reconciling += 1;
    try {
      const ref = await this.findPayment(timer.paymentId);
      const refund = ref ? (await this.ledger.read(ref)).payment.context.refunds[timer.refundId] : undefined;
      let next: number | undefined;
      if (ref && refund?.status === "pending") {
        const found = await this.gateway.queryRefund(ref.env, ref.provider, {
          outTradeNo: ref.paymentId,
          outRefundNo: timer.refundId,
        });
        if (found.status === "succeeded") await this.recordRefunded(ref, timer.refundId, "", found.refundFen);
        else if (found.status === "failed")
          await this.ledger.failRefund(ref, timer.refundId, found.channelState);
        else
          next =
            this.log.now() +
            Math.min(this.reconcileAfterMs * 2 ** timer.attempt, limits.paymentReconcileIntervalMsMax);
      }
      const moved: IndexOp[] =
        next === undefined
          ? []
          : [
              putTimer(refundCheckTimerKey(next, timer.refundId), {
                ...timer,
                kind: "refund_check",
                attempt: timer.attempt + 1,
              }),
            ];
      await this.log.writeOps([{ type: "del", key }, ...moved], { sync: true });
      return true;
    } finally {
      this.reconciling -= 1;
    }
  }

  /** Queries an order still waiting for its callback; returns when to ask again if it still is. */
  private async reconcileWaiting(ref: PaymentRef, attempt: number): Promise<number | undefined> {
    const { payment } = await this.ledger.read(ref);
    if (!isCollectable(payment)) return undefined;
    const after = await this.recordChannelOrder(ref, "closed_by_channel");
    if (!isCollectable(after)) return undefined;
    return this.nextReconcileAt(this.log.now(), attempt, after.context.expiresAt);
  }

  /** The next query of an unanswered order, or none when its expiry (which queries too) comes first. */
  private nextReconcileAt(now: number, attempt: number, expiresAt: number): number | undefined {
    if (this.reconcileAfterMs <= 0) return undefined;
    const delayMs = Math.min(this.reconcileAfterMs * 2 ** attempt, limits.paymentReconcileIntervalMsMax);
    const dueAt = now + delayMs;
    return dueAt < expiresAt ? dueAt : undefined;
  }

  /** Sandbox: act as the buyer at the simulator, then wait (bounded) for what the ledger makes of it. */
  async simulate(env: Environment, merchantId: string | null, invoiceId: string, outcome: SimulatedOutcome) {
    if (env !== "test") throw new DomainError("sandbox_only", "payments are simulated in the sandbox only");
    const ref = await this.requireInvoice(env, merchantId, invoiceId).catch((error: unknown) => {
      // A subscription or purchase invoice has a payment only once one is started.
      if (error instanceof DomainError && error.code === "invoice_not_found") {
        throw new DomainError(
          "invoice_not_found",
          `no invoice ${invoiceId} with a payment: start one first (POST /v1/invoices/${invoiceId}/payments), then simulate its outcome`,
        );
      }
      throw error;
    });
    const { payment } = await this.ledger.read(ref);
    if (payment.value !== "pending" || !payment.context.action) {
      throw new DomainError(
        "invoice_not_open",
        `the invoice's payment attempt is ${payment.value}, not pending: there is nothing to simulate`,
      );
    }
    await this.gateway
      .simulate({ channel: ref.channel, outTradeNo: ref.paymentId, action: payment.context.action, outcome })
      .catch((error: unknown) => {
        throw new DomainError("channel_error", `the simulator refused: ${describeFailure(error).message}`);
      });
    if (outcome === "failed") await this.reconcile(ref.paymentId);
    if (outcome === "expired") await this.expire(ref.paymentId);
    const deadline = Date.now() + limits.simulatePaymentWaitMs;
    let current = await this.ledger.read(ref);
    while (current.payment.value === "pending" && Date.now() < deadline) {
      await sleep(20);
      current = await this.ledger.read(ref);
    }
    return current;
  }

  /** The latest payment attempt of an invoice, if any (a billing invoice may have none yet). */
  async attempt(invoiceId: string): Promise<TopUpResult | undefined> {
    const ref = invoiceIdPattern.test(invoiceId) ? await this.findRef(invoiceRefKey(invoiceId)) : undefined;
    return ref ? { ...(await this.ledger.read(ref)), checkoutUrl: this.checkoutUrl(invoiceId) } : undefined;
  }

  /** An invoice as its merchant sees it. */
  async invoice(env: Environment, merchantId: string, invoiceId: string): Promise<TopUpResult> {
    const ref = await this.requireInvoice(env, merchantId, invoiceId);
    return { ...(await this.ledger.read(ref)), checkoutUrl: this.checkoutUrl(invoiceId) };
  }

  /** The public checkout page's view: anyone with the invoice id may pay it. */
  async checkout(invoiceId: string): Promise<(TopUpResult & { merchantName: string }) | undefined> {
    const ref = invoiceIdPattern.test(invoiceId) ? await this.findRef(invoiceRefKey(invoiceId)) : undefined;
    if (!ref) return undefined;
    const merchant = await this.merchants.find(ref.merchantId);
    return {
      ...(await this.ledger.read(ref)),
      checkoutUrl: this.checkoutUrl(invoiceId),
      merchantName: merchant?.name ?? "",
    };
  }

  /** The durable timers of payments: order expiry and refunds to send. */
  timerKind(): TimerKind {
    return {
      prefix: paymentTimerPrefix,
      fire: async (key, value, now) => {
        const waiting = this.backoff.get(key);
        if (waiting && waiting.retryAt > now) return false;
        const timer = JSON.parse(value) as PaymentTimer;
        try {
          if (timer.kind === "reconcile") {
            if (!(await this.reconcileDue(key, timer))) return false;
          } else if (timer.kind === "refund_check") {
            if (!(await this.refundCheckDue(key, timer))) return false;
          } else if (timer.kind === "expire") await this.expire(timer.paymentId);
          else await this.fireRefund(timer.paymentId, timer.refundId);
          this.backoff.delete(key);
          await this.dropIfStale(key);
          return true;
        } catch (error) {
          const attempts = (waiting?.attempts ?? 0) + 1;
          const delayMs = Math.min(1_000 * 2 ** attempts, limits.channelRetryDelayMsMax);
          this.backoff.set(key, { attempts, retryAt: now + delayMs });
          console.warn(`payment timer ${key} failed (attempt ${attempts}); retrying in ${delayMs} ms`, error);
          return false;
        }
      },
    };
  }

  private async fireRefund(paymentId: string, refundId: string): Promise<void> {
    const ref = await this.findPayment(paymentId);
    if (ref) await this.dispatchRefund(ref, refundId);
  }

  /**
   * A timer whose entity moved on without its record deleting it (the expiry of an order paid in the
   * same instant, a refund settled while it was being sent) would fire forever: drop it.
   */
  private async dropIfStale(key: string): Promise<void> {
    await this.log.flush();
    const still = await this.log.get(key);
    if (still === undefined) return;
    const timer = JSON.parse(still) as PaymentTimer;
    const ref = await this.findPayment(timer.paymentId);
    const payment = ref ? (await this.ledger.read(ref)).payment : undefined;
    if (!payment || isSettled(payment, timer)) await this.log.db.del(key);
  }

  private async requireInvoice(
    env: Environment,
    merchantId: string | null,
    invoiceId: string,
  ): Promise<PaymentRef> {
    const ref = await this.invoiceRefOf(env, merchantId, invoiceId);
    if (!ref) throw new DomainError("invoice_not_found", `no invoice ${invoiceId}`);
    return ref;
  }

  private async invoiceRefOf(
    env: Environment,
    merchantId: string | null,
    invoiceId: string,
  ): Promise<PaymentRef | undefined> {
    const ref = invoiceIdPattern.test(invoiceId) ? await this.findRef(invoiceRefKey(invoiceId)) : undefined;
    if (!ref || ref.env !== env || (merchantId !== null && ref.merchantId !== merchantId)) return undefined;
    return ref;
  }

  /**
   * Whether the merchant's invoice is a top-up's, which lives with its payment here: for the billing
   * routes, which know only subscription and purchase invoices, to tell "not mine" from "no such".
   */
  async isTopUpInvoice(env: Environment, merchantId: string, invoiceId: string): Promise<boolean> {
    return (await this.invoiceRefOf(env, merchantId, invoiceId)) !== undefined;
  }

  private findPayment(paymentId: string): Promise<PaymentRef | undefined> {
    return paymentIdPattern.test(paymentId)
      ? this.findRef(paymentRefKey(paymentId))
      : Promise.resolve(undefined);
  }

  private async findRef(key: string): Promise<PaymentRef | undefined> {
    const kept = this.refs.get(key);
    if (kept) return kept;
    const stored = await this.log.get(key);
    if (stored === undefined) return undefined;
    const ref = JSON.parse(stored) as PaymentRef;
    this.keepRef(key, ref);
    return ref;
  }

  private keepRef(key: string, ref: PaymentRef): void {
    this.refs.set(key, ref);
    if (this.refs.size <= limits.paymentRefsKeptMax) return;
    const oldest = this.refs.keys().next();
    if (!oldest.done) this.refs.delete(oldest.value);
  }
}

function isSettled(payment: EntityState<PaymentContext>, timer: PaymentTimer): boolean {
  if (timer.kind !== "refund") return !isCollectable(payment);
  const refund = payment.context.refunds[timer.refundId];
  return !refund || refund.status !== "pending" || refund.submitted;
}

function describeFailure(error: unknown): {
  code: string;
  message: string;
  details: Record<string, unknown>;
} {
  if (error instanceof GatewayError)
    return { code: error.code, message: error.message, details: error.details };
  return {
    code: "unavailable",
    message: error instanceof Error ? error.message : String(error),
    details: {},
  };
}

function refundRefusal(code: string): DomainError {
  switch (code) {
    case "payment_not_refundable":
      return new DomainError("invoice_not_paid", "only a paid invoice can be refunded");
    case "refund_exceeds_payment":
      return new DomainError("refund_exceeds_payment", "the refund is more than what is left to refund");
    case "refund_window_closed":
      return new DomainError("refund_window_closed", "the purchase's refund window has closed");
    case "insufficient_balance":
      return new DomainError(
        "insufficient_balance",
        "a top-up refund cannot take the wallet below zero: the credit was spent",
      );
    default:
      return new DomainError("internal_error", `refund refused: ${code}`);
  }
}
