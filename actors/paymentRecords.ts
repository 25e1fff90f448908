import type { CheckoutAction } from "../domain/collection.js";
import { newId } from "../domain/ids.js";
import { fenToMicros } from "../domain/money.js";
import type { EntityState } from "../machines/kind.js";
import type { InvoiceCommand, InvoiceContext, InvoiceFact } from "../machines/invoiceTypes.js";
import { invoiceEntity } from "../machines/invoiceKind.js";
import type {
  PaymentCommand,
  PaymentContext,
  PaymentFact,
  PaymentFlag,
} from "../machines/paymentOrderTypes.js";
import { paymentEntity } from "../machines/paymentOrderKind.js";
import { walletEntity } from "../machines/walletKind.js";
import type { WalletContext } from "../machines/walletTypes.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import { appendAcrossKinds, partOf, type CrossKindOutcome, type KindPart } from "./crossKindRecord.js";
import {
  collectionEntity,
  delTimer,
  expiryTimerKey,
  putTimer,
  reconcileTimerKey,
  refOps,
  refundCheckTimerKey,
  refundTimerKey,
  type PaymentRef,
} from "./paymentIndexes.js";
import type { CommandContext, EntityRegistry, Resident } from "./registry.js";
import { noSettlement, type InvoiceSettlement, type SettlementParts } from "./invoiceSettlement.js";
import type { WalletRegistry } from "./wallets.js";

export type InvoiceRegistry = EntityRegistry<InvoiceContext, InvoiceCommand, InvoiceFact>;
export type PaymentRegistry = EntityRegistry<PaymentContext, PaymentCommand, PaymentFact>;

/** The durable state of one top-up: its invoice and its payment. */
export interface Collection {
  ref: PaymentRef;
  invoice: EntityState<InvoiceContext>;
  payment: EntityState<PaymentContext>;
}

interface Entities {
  payment: Resident<PaymentContext>;
  invoice: Resident<InvoiceContext>;
  wallet: Resident<WalletContext>;
  /** What a billing invoice settles (its subscription or purchase); nothing for a top-up. */
  settlement: SettlementParts;
}

export interface PaidNotice {
  transactionId: string;
  amountFen: bigint;
  currency: string;
  paidAt: number;
  payerId: string | null;
}

/** What applying a channel's report came to: applied now, applied before, or refused with a code. */
export type Applied = { ok: true } | { ok: false; code: string };

const ended = new Set(["failed", "closed"]);
const collectable = new Set(["created", "pending"]);

/**
 * The records of collection, each decided by the payment, invoice and wallet machines and written as
 * one log record (several kinds at once where money moves): what the channel said, made durable.
 * Channel calls are not made here (see PaymentService).
 */
export class PaymentLedger {
  /** Set by billing once it exists (it is built after collection). */
  settlement: InvoiceSettlement = noSettlement;

  constructor(
    private readonly log: Log,
    private readonly publish: (record: CommittedRecord) => void,
    readonly payments: PaymentRegistry,
    readonly invoices: InvoiceRegistry,
    readonly wallets: WalletRegistry,
  ) {}

  async read(ref: PaymentRef): Promise<Collection> {
    const [invoice, payment] = await Promise.all([
      this.invoices.read(invoiceEntity(ref.invoiceId), ref.invoiceId),
      this.payments.read(paymentEntity(ref.paymentId), ref.paymentId),
    ]);
    return { ref, invoice: invoice.committed, payment: payment.committed };
  }

  /**
   * Record 1 of a top-up: the invoice and its payment order, the lookups, the expiry timer and, when
   * `reconcileAt` is set, the first query for a callback that does not come.
   */
  create(
    ref: PaymentRef,
    order: Omit<
      Extract<PaymentCommand, { type: "payment.create" }>,
      "type" | "at" | "paymentId" | "invoiceId"
    >,
    lines: Array<{ description: string; amountFen: bigint }>,
    reconcileAt?: number,
  ): Promise<CrossKindOutcome> {
    const timers = orderTimers(ref, order.expiresAt, reconcileAt);
    return this.withEntities(ref, (e) =>
      this.append(ref, () => ({
        parts: [
          partOf(
            this.invoices,
            e.invoice,
          )(({ at }) => ({
            type: "invoice.open",
            invoiceId: ref.invoiceId,
            customerId: ref.customerId,
            currency: "CNY",
            lines,
            purpose: "top_up",
            at,
          })),
          partOf(
            this.payments,
            e.payment,
          )(({ at }) => ({
            type: "payment.create",
            paymentId: ref.paymentId,
            invoiceId: ref.invoiceId,
            ...order,
            at,
          })),
        ],
        command: { type: "collection.open", paymentId: ref.paymentId, invoiceId: ref.invoiceId },
        ops: [...refOps(ref), ...timers],
      })),
    );
  }

  /**
   * Record 1 of paying a billing invoice: a payment order for the open invoice (one attempt; when it
   * ends unpaid the invoice stays open for another). The invoice's lookup now names this attempt.
   */
  createForInvoice(
    ref: PaymentRef,
    order: Omit<
      Extract<PaymentCommand, { type: "payment.create" }>,
      "type" | "at" | "paymentId" | "invoiceId"
    >,
    reconcileAt?: number,
  ): Promise<CrossKindOutcome> {
    const timers = orderTimers(ref, order.expiresAt, reconcileAt);
    return this.withEntities(ref, async (e) => {
      if (e.invoice.speculative.value !== "open") {
        return { ok: false, part: 0, entity: e.invoice.entity, code: "invoice_not_open" };
      }
      return this.append(ref, () => ({
        parts: [
          partOf(
            this.payments,
            e.payment,
          )(({ at }) => ({
            type: "payment.create",
            paymentId: ref.paymentId,
            invoiceId: ref.invoiceId,
            ...order,
            at,
          })),
        ],
        command: { type: "collection.open", paymentId: ref.paymentId, invoiceId: ref.invoiceId },
        ops: [...refOps(ref), ...timers],
      }));
    });
  }

  /** The channel created its order; `result` is the caller's response, stored with it when idempotent. */
  async open<T>(
    ref: PaymentRef,
    action: CheckoutAction,
    result: (payment: EntityState<PaymentContext>) => T,
    idempotency?: (result: T) => { scope: string; op: IndexOp },
  ): Promise<{ ok: true; result: T } | { ok: false; code: string }> {
    const outcome = await this.payments.execute(meta(ref), paymentEntity(ref.paymentId), ref.paymentId, {
      command: ({ at }) => ({ type: "payment.open", action, at }),
      result: (_fact, next) => result(next),
      ...(idempotency ? { idempotency } : {}),
    });
    return outcome.ok ? { ok: true, result: outcome.result } : outcome;
  }

  /**
   * A paid order: credits the wallet, pays the invoice and posts the cash with its fees, in one record.
   * After the order ended it is recorded as paid after close (unapplied, not credited).
   */
  succeed(ref: PaymentRef, paid: PaidNotice): Promise<Applied> {
    return this.withEntities(ref, async (e) => {
      const invoice = e.invoice.speculative;
      if (collectable.has(e.payment.speculative.value) && invoice.value !== "open") {
        // Another attempt paid the invoice, or it was voided: this money is unapplied, kept for a refund.
        await this.endWith(ref, e, "close", "invoice_not_open", `the invoice is ${invoice.value}`);
      }
      const outcome = await this.append(ref, () => {
        const before = e.payment.speculative;
        const parts: KindPart[] = [
          partOf(this.payments, e.payment)(({ at }) => ({ type: "payment.succeed", ...paid, at })),
        ];
        if (collectable.has(before.value)) {
          parts.push(
            partOf(
              this.invoices,
              e.invoice,
            )(({ at }) => ({
              type: "invoice.pay",
              paymentId: ref.paymentId,
              amountFen: paid.amountFen,
              at: e.settlement.at ?? at,
            })),
          );
          if (invoice.context.purpose !== "top_up") {
            parts.push(...e.settlement.paid(invoice.context, ref.paymentId));
          } else
            parts.push(
              partOf(
                this.wallets,
                e.wallet,
              )(({ at }) => ({
                type: "wallet.top_up",
                amountMicros: fenToMicros(paid.amountFen),
                paymentId: ref.paymentId,
                transactionId: newId("wtx"),
                at,
              })),
            );
        }
        return {
          parts,
          command: { type: "collection.pay", paymentId: ref.paymentId, transactionId: paid.transactionId },
          ops: [delTimer(expiryTimerKey(before.context.expiresAt, ref.paymentId))],
        };
      });
      return this.applied(outcome, "duplicate_payment");
    });
  }

  /**
   * The order ended unpaid (failed at the channel, closed, expired). A top-up's invoice is voided with
   * it; a billing invoice stays open for another attempt.
   */
  end(ref: PaymentRef, how: "fail" | "close", code: string, message: string): Promise<Applied> {
    return this.withEntities(ref, (e) => this.endWith(ref, e, how, code, message));
  }

  private async endWith(
    ref: PaymentRef,
    e: Entities,
    how: "fail" | "close",
    code: string,
    message: string,
  ): Promise<Applied> {
    const outcome = await this.append(ref, () => {
      const before = e.payment.speculative;
      const parts: KindPart[] = [
        partOf(
          this.payments,
          e.payment,
        )(({ at }) => ({
          type: how === "fail" ? "payment.fail" : "payment.close",
          code,
          message,
          at,
        })),
      ];
      const invoice = e.invoice.speculative;
      if (invoice.value === "open" && invoice.context.purpose === "top_up") {
        parts.push(
          partOf(this.invoices, e.invoice)(({ at }) => ({ type: "invoice.void", reason: code, at })),
        );
      }
      return {
        parts,
        command: { type: "collection.end", paymentId: ref.paymentId, code },
        ops: [delTimer(expiryTimerKey(before.context.expiresAt, ref.paymentId))],
      };
    });
    return this.applied(outcome, "payment_not_pending");
  }

  /**
   * Something the channel reported that is not applied (a wrong amount): kept visible, once. With
   * `settlement: "unapplied"` its money is posted to unapplied payments in the same record, once per
   * channel transaction (a repeat is `duplicate_flag` and posts nothing).
   */
  async flag(ref: PaymentRef, flag: Omit<PaymentFlag, "at">): Promise<void> {
    const outcome = await this.payments.execute(meta(ref), paymentEntity(ref.paymentId), ref.paymentId, {
      command: ({ at }) => ({ type: "payment.flag", ...flag, at }),
      result: () => undefined,
    });
    if (!outcome.ok && outcome.code !== "duplicate_flag") throw new Error(`flag refused: ${outcome.code}`);
    if (!outcome.ok) await this.log.flush();
  }

  /**
   * A refund request: the refunded credit leaves the wallet at once (never below zero available), and
   * the request to the channel is an outbox timer, sent after commit and until the channel answers.
   */
  requestRefund<T>(
    ref: PaymentRef,
    refund: { refundId: string; amountFen: bigint; reason: string | null },
    result: (ctx: CommandContext) => T,
    idempotency?: (result: T) => { scope: string; op: IndexOp },
  ): Promise<{ ok: true; result: T } | { ok: false; code: string }> {
    return this.withEntities(ref, async (e) => {
      let answer: T | undefined;
      const outcome = await this.append(ref, (ctx) => {
        const parts: KindPart[] = [
          partOf(this.payments, e.payment)(({ at }) => ({ type: "payment.request_refund", ...refund, at })),
        ];
        const invoice = e.invoice.speculative.context;
        if (e.payment.speculative.context.settlement === "credited" && invoice.purpose !== "top_up") {
          parts.push(
            partOf(
              this.invoices,
              e.invoice,
            )(({ at }) => ({
              type: "invoice.refund",
              refundId: refund.refundId,
              amountFen: refund.amountFen,
              at: e.settlement.at ?? at,
            })),
            ...e.settlement.refunded(invoice, refund.refundId, refund.amountFen),
          );
        } else if (e.payment.speculative.context.settlement === "credited") {
          parts.push(
            partOf(
              this.wallets,
              e.wallet,
            )(({ at }) => ({
              type: "wallet.refund_top_up",
              amountMicros: fenToMicros(refund.amountFen),
              refundId: refund.refundId,
              transactionId: newId("wtx"),
              at,
            })),
          );
        }
        answer = result(ctx);
        const ops = [
          putTimer(refundTimerKey(ctx.at, refund.refundId), {
            kind: "refund",
            paymentId: ref.paymentId,
            refundId: refund.refundId,
          }),
        ];
        const stored = idempotency?.(answer);
        if (stored) ops.push(stored.op);
        return {
          parts,
          command: { type: "collection.refund", paymentId: ref.paymentId, refundId: refund.refundId },
          ops,
          keys: stored ? [stored.scope] : [],
        };
      });
      if (!outcome.ok || answer === undefined)
        return { ok: false, code: outcome.ok ? "internal_error" : outcome.code };
      return { ok: true, result: answer };
    });
  }

  /**
   * The channel accepted the refund and will report the outcome: stop sending it, and (`checkAfterMs`
   * > 0) ask about it then, in case its callback never comes.
   */
  async submitRefund(
    ref: PaymentRef,
    refundId: string,
    channelState: string,
    checkAfterMs = 0,
  ): Promise<Applied> {
    let checkAt = 0;
    const outcome = await this.payments.execute(meta(ref), paymentEntity(ref.paymentId), ref.paymentId, {
      command: ({ at }) => {
        checkAt = at + checkAfterMs;
        return { type: "payment.submit_refund", refundId, channelState, at };
      },
      indexOps: (_fact, next) => [
        ...refundTimerOps(next.context, refundId),
        ...(checkAfterMs > 0
          ? [
              putTimer(refundCheckTimerKey(checkAt, refundId), {
                kind: "refund_check",
                paymentId: ref.paymentId,
                refundId,
                attempt: 1,
              }),
            ]
          : []),
      ],
      result: () => undefined,
    });
    return outcome.ok ? { ok: true } : { ok: false, code: outcome.code };
  }

  /** The channel paid the refund out: the cash leaves the merchant's payable. */
  async completeRefund(ref: PaymentRef, refundId: string): Promise<Applied> {
    const outcome = await this.payments.execute(meta(ref), paymentEntity(ref.paymentId), ref.paymentId, {
      command: ({ at }) => ({ type: "payment.complete_refund", refundId, at }),
      indexOps: (_fact, next) => refundTimerOps(next.context, refundId),
      result: () => undefined,
    });
    if (!outcome.ok && outcome.code === "refund_not_pending") await this.log.flush();
    return outcome.ok ? { ok: true } : { ok: false, code: outcome.code };
  }

  /** The channel refused or closed the refund: the credit goes back to the wallet. */
  failRefund(ref: PaymentRef, refundId: string, channelState: string): Promise<Applied> {
    return this.withEntities(ref, async (e) => {
      const outcome = await this.append(ref, () => {
        const payment = e.payment.speculative.context;
        const refund = payment.refunds[refundId];
        const parts: KindPart[] = [
          partOf(
            this.payments,
            e.payment,
          )(({ at }) => ({ type: "payment.fail_refund", refundId, channelState, at })),
        ];
        const billing = e.invoice.speculative.context.purpose !== "top_up";
        if (refund?.status === "pending" && payment.settlement === "credited" && billing) {
          // The revenue stands again; a purchase's revoked entitlement stays revoked (re-grant by hand).
          parts.push(
            partOf(
              this.invoices,
              e.invoice,
            )(({ at }) => ({
              type: "invoice.restore_refund",
              refundId,
              amountFen: refund.amountFen,
              at: e.settlement.at ?? at,
            })),
          );
        } else if (refund?.status === "pending" && payment.settlement === "credited") {
          parts.push(
            partOf(
              this.wallets,
              e.wallet,
            )(({ at }) => ({
              type: "wallet.restore_refund",
              amountMicros: fenToMicros(refund.amountFen),
              refundId,
              transactionId: newId("wtx"),
              at,
            })),
          );
        }
        return {
          parts,
          command: { type: "collection.refund_failed", paymentId: ref.paymentId, refundId },
          ops: refundTimerOps(payment, refundId),
        };
      });
      return this.applied(outcome, "refund_not_pending");
    });
  }

  private append(ref: PaymentRef, plan: Parameters<typeof appendAcrossKinds>[4]): Promise<CrossKindOutcome> {
    return appendAcrossKinds(this.log, this.publish, meta(ref), collectionEntity(ref.paymentId), plan);
  }

  /** A refusal with `duplicate` means it was applied before: wait until that is durable, then say so. */
  private async applied(outcome: CrossKindOutcome, duplicate: string): Promise<Applied> {
    if (outcome.ok) return { ok: true };
    if (outcome.code === duplicate) await this.log.flush();
    return { ok: false, code: outcome.code };
  }

  /** Pins the payment, its invoice and the customer's wallet for one record. */
  private async withEntities<T>(ref: PaymentRef, run: (entities: Entities) => Promise<T>): Promise<T> {
    const pinned = await Promise.allSettled([
      this.payments.pin(paymentEntity(ref.paymentId), ref.paymentId),
      this.invoices.pin(invoiceEntity(ref.invoiceId), ref.invoiceId),
      this.wallets.pin(walletEntity(ref.customerId), ref.customerId),
    ]);
    const [payment, invoice, wallet] = pinned;
    try {
      if (
        payment?.status !== "fulfilled" ||
        invoice?.status !== "fulfilled" ||
        wallet?.status !== "fulfilled"
      ) {
        const failed = pinned.find((p) => p.status === "rejected");
        throw failed?.reason ?? new Error("pinning failed");
      }
      const invoiceState = invoice.value.speculative;
      const settlement =
        invoiceState.context.purpose === "top_up" || invoiceState.value === "new"
          ? undefined
          : await this.settlement.pin(invoiceState.context);
      try {
        return await run({
          payment: payment.value,
          invoice: invoice.value,
          wallet: wallet.value,
          settlement: settlement ?? nothingSettled,
        });
      } finally {
        settlement?.release();
      }
    } finally {
      if (payment?.status === "fulfilled") this.payments.unpin(payment.value);
      if (invoice?.status === "fulfilled") this.invoices.unpin(invoice.value);
      if (wallet?.status === "fulfilled") this.wallets.unpin(wallet.value);
    }
  }
}

const nothingSettled: SettlementParts = { paid: () => [], refunded: () => [], release: () => {} };

export const isEnded = (payment: EntityState<PaymentContext>) => ended.has(payment.value);
export const isCollectable = (payment: EntityState<PaymentContext>) => collectable.has(payment.value);

function meta(ref: PaymentRef) {
  return { env: ref.env, merchantId: ref.merchantId };
}

/** A new order's expiry and, when set, its first query for a callback that does not come. */
function orderTimers(ref: PaymentRef, expiresAt: number, reconcileAt: number | undefined): IndexOp[] {
  const timers = [putTimer(expiryTimerKey(expiresAt, ref.paymentId), expiryTimer(ref))];
  if (reconcileAt !== undefined) {
    timers.push(
      putTimer(reconcileTimerKey(reconcileAt, ref.paymentId), {
        kind: "reconcile",
        paymentId: ref.paymentId,
        attempt: 1,
      }),
    );
  }
  return timers;
}

function expiryTimer(ref: PaymentRef) {
  return { kind: "expire" as const, paymentId: ref.paymentId };
}

function refundTimerOps(payment: PaymentContext, refundId: string): IndexOp[] {
  const refund = payment.refunds[refundId];
  return refund ? [delTimer(refundTimerKey(refund.requestedAt, refundId))] : [];
}
