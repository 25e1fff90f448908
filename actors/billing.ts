import { monthlyPeriodEnd, planChangeProration } from "../domain/billing/index.js";
import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { limits } from "../domain/limits.js";
import { fenToMicros } from "../domain/money.js";
import { decide } from "../machines/decide.js";
import { formatInvoiceNumber } from "../machines/invoiceNumbers.js";
import { invoiceNumbersEntity, invoiceNumbersKind } from "../machines/invoiceNumbersKind.js";
import type {
  InvoiceNumbersCommand,
  InvoiceNumbersContext,
  InvoiceNumbersFact,
} from "../machines/invoiceNumbers.js";
import { invoiceEntity } from "../machines/invoiceKind.js";
import type { InvoiceContext, InvoiceLine } from "../machines/invoiceTypes.js";
import type { EntityKind, EntityState } from "../machines/kind.js";
import { purchaseEntity, purchaseKind } from "../machines/purchaseKind.js";
import type { PurchaseCommand, PurchaseContext, PurchaseFact } from "../machines/purchaseTypes.js";
import { subscriptionEntity, subscriptionKind } from "../machines/subscriptionKind.js";
import { walletEntity } from "../machines/walletKind.js";
import type { WalletContext } from "../machines/walletTypes.js";
import type {
  SubscriptionCommand,
  SubscriptionContext,
  SubscriptionFact,
} from "../machines/subscriptionTypes.js";
import type { AnyStateMachine } from "xstate";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import {
  billingInvoiceRefKey,
  billingTimerKey,
  customerBillingKey,
  merchantInvoiceKey,
  merchantInvoicePrefix,
  purchaseRefKey,
  put,
  subscriptionRefKey,
  type BillingInvoiceRef,
  type BillingRef,
  type BillingTimer,
} from "./billingRefs.js";
import type { Price, Product, ProductCatalog } from "./catalog.js";
import { appendAcrossKinds, partOf, type KindPart } from "./crossKindRecord.js";
import type { Customer } from "./customers.js";
import type { InvoiceSettlement, SettlementParts } from "./invoiceSettlement.js";
import type { InvoiceRegistry } from "./paymentRecords.js";
import type { PaymentService, RefundResult } from "./payments.js";
import { EntityRegistry, type Resident } from "./registry.js";
import type { TestClockDirectory } from "./testClocks.js";
import type { WalletRegistry } from "./wallets.js";
import { feeLine, productTitle, prorationLines, purchaseLine } from "./billingLines.js";
import { refusal } from "./billingRefusals.js";
import { settlementFor } from "./billingSettlement.js";
import { entitlementsOf, purchasesOf, subscriptionsOf } from "./entitlements.js";

export type SubscriptionRegistry = EntityRegistry<SubscriptionContext, SubscriptionCommand, SubscriptionFact>;
export type PurchaseRegistry = EntityRegistry<PurchaseContext, PurchaseCommand, PurchaseFact>;
export type InvoiceNumbersRegistry = EntityRegistry<
  InvoiceNumbersContext,
  InvoiceNumbersCommand,
  InvoiceNumbersFact
>;

export interface BillingOptions {
  /** How long a renewal invoice may stay unpaid before the subscription is past due. */
  graceMs?: number;
  /** How long a subscription may stay past due before it is canceled and its invoice written off. */
  dunningMs?: number;
  /** How long a new subscription's or purchase's first invoice may stay unpaid. */
  firstInvoiceExpiryMs?: number;
}

export interface SubscriptionSnapshot {
  ref: BillingRef;
  subscription: EntityState<SubscriptionContext>;
}

export interface PurchaseSnapshot {
  ref: BillingRef;
  purchase: EntityState<PurchaseContext>;
}

export interface Entitlement {
  productId: string;
  priceId: string;
  source: "subscription" | "purchase";
  sourceId: string;
  grantedAt: number;
  /** When access ends as things stand (a subscription's period end), or null for a purchase. */
  endsAt: number | null;
}

type Idempotency<T> = ((result: T) => { scope: string; op: IndexOp }) | undefined;

const day = 24 * 3600 * 1000;

/**
 * Subscriptions and one-time purchases: each change one record deciding the subscription or purchase,
 * its invoice and the merchant's invoice numbers together. Time is the customer's: ledger time, or
 * its sandbox test clock's. What happens later (renewals, grace, dunning, expiry) is a durable timer
 * (billingClock.ts); paying an invoice settles its subscription or purchase in the payment's record
 * (this class is collection's InvoiceSettlement).
 */
export class BillingService implements InvoiceSettlement {
  readonly subscriptions: SubscriptionRegistry;
  readonly purchases: PurchaseRegistry;
  readonly numbers: InvoiceNumbersRegistry;
  readonly graceMs: number;
  readonly dunningMs: number;
  readonly firstInvoiceExpiryMs: number;

  constructor(
    readonly log: Log,
    private readonly publish: (record: CommittedRecord) => void,
    readonly invoices: InvoiceRegistry,
    private readonly payments: PaymentService,
    private readonly catalog: ProductCatalog,
    private readonly testClocks: TestClockDirectory,
    /** Customers' wallets: credit a subscription still holds moves there when it ends. */
    private readonly wallets: WalletRegistry,
    options: BillingOptions = {},
  ) {
    this.subscriptions = new EntityRegistry(log, subscriptionKind, publish);
    this.purchases = new EntityRegistry(log, purchaseKind, publish);
    this.numbers = new EntityRegistry(log, invoiceNumbersKind, publish);
    this.graceMs = options.graceMs ?? 3 * day;
    this.dunningMs = options.dunningMs ?? 14 * day;
    this.firstInvoiceExpiryMs = options.firstInvoiceExpiryMs ?? 23 * 3600 * 1000;
  }

  /** The customer's now: its test clock's frozen time, or ledger time. */
  async nowFor(ref: Pick<BillingRef, "env" | "merchantId" | "testClockId">): Promise<number> {
    if (ref.testClockId === null) return this.log.now();
    return (await this.testClocks.require(ref.env, ref.merchantId, ref.testClockId)).frozenTime;
  }

  // ── Subscriptions ──────────────────────────────────────────────────────────────────────────────

  /** Starts a subscription: `incomplete` with its first invoice finalized, active once that is paid. */
  async subscribe(
    customer: Customer,
    priceId: string,
    idempotency?: Idempotency<SubscriptionSnapshot>,
  ): Promise<SubscriptionSnapshot> {
    const { price, product } = await this.priceOf(customer, priceId, "recurring");
    const ref = refOf(customer);
    const at = await this.nowFor(ref);
    const subscriptionId = newId("sub");
    const invoiceId = newId("inv");
    const periodEnd = monthlyPeriodEnd(at, 0);
    const amountFen = BigInt(price.amountFen);
    const expiresAt = at + this.firstInvoiceExpiryMs;
    const invoiceRef: BillingInvoiceRef = { ...ref, invoiceId, subscriptionId, purchaseId: null };
    return this.withPinned(ref.env, ref.merchantId, { subscriptionId, invoiceId }, async (p) => {
      let result: SubscriptionSnapshot | undefined;
      const outcome = await this.append(ref, `billing:${subscriptionId}`, (ctx) => {
        const create: SubscriptionCommand = {
          type: "subscription.create",
          subscriptionId,
          customerId: customer.id,
          productId: product.id,
          priceId: price.id,
          amountFen,
          periodEnd,
          invoiceId,
          at,
        };
        result = { ref, subscription: preview(subscriptionKind, p.subscription!.speculative, create) };
        const stored = idempotency?.(result);
        return {
          parts: [
            partOf(this.subscriptions, p.subscription!)(() => create),
            ...this.issueParts(p, ref, {
              invoiceId,
              purpose: "subscription",
              lines: [feeLine(product, price, at, periodEnd)],
              subscriptionId,
              purchaseId: null,
              periodStart: at,
              periodEnd,
              dueAt: expiresAt,
              at,
            }),
          ],
          command: { type: "billing.subscribe", subscriptionId, invoiceId },
          ops: [
            put(subscriptionRefKey(subscriptionId), ref),
            put(customerBillingKey(customer.id, subscriptionId), ""),
            ...invoiceRefOps(invoiceRef, ctx.seq),
            put(this.timerKey(ref, expiresAt, { kind: "incomplete", subscriptionId, invoiceId }), ref),
            put(this.timerKey(ref, periodEnd, { kind: "renew", subscriptionId }), ref),
            ...(stored ? [stored.op] : []),
          ],
          keys: stored ? [stored.scope] : [],
        };
      });
      if (!outcome.ok) throw refusal(outcome.code);
      return result!;
    });
  }

  async subscription(
    env: Environment,
    merchantId: string,
    subscriptionId: string,
  ): Promise<SubscriptionSnapshot> {
    const ref = await this.refOf(subscriptionRefKey(subscriptionId), env, merchantId);
    if (!ref) throw new DomainError("subscription_not_found", `no subscription ${subscriptionId}`);
    const resident = await this.subscriptions.read(subscriptionEntity(subscriptionId), subscriptionId);
    return { ref, subscription: resident.committed };
  }

  /**
   * Changes the plan. An upgrade takes effect at once and the prorated difference for the rest of the
   * period is invoiced now; a downgrade waits for the period end, or (`immediately`) takes effect now
   * with the unused time credited to the next invoice. Proration: domain/billing/proration.ts.
   */
  async changePlan(
    env: Environment,
    merchantId: string,
    subscriptionId: string,
    input: { priceId: string; downgrade: "period_end" | "immediately" },
    idempotency?: Idempotency<SubscriptionSnapshot>,
  ): Promise<SubscriptionSnapshot> {
    const { ref } = await this.subscription(env, merchantId, subscriptionId);
    const current = (await this.subscriptions.read(subscriptionEntity(subscriptionId), subscriptionId))
      .committed;
    const { price, product } = await this.priceOf(ref, input.priceId, "recurring");
    const oldPrice = await this.catalog.requirePrice(env, merchantId, current.context.priceId);
    if (product.id !== current.context.productId) {
      throw new DomainError(
        "price_product_mismatch",
        "a plan change stays within the subscription's product",
      );
    }
    // Credit for unused time is owed only for time that was paid: while the period's invoice or an
    // earlier change's proration is unpaid, a change could turn unpaid time into credit.
    const running = current.value === "active" || current.value === "past_due";
    for (const id of new Set([current.context.unpaidInvoiceId, current.context.latestInvoiceId])) {
      if (!id || !running) continue;
      const invoice = await this.invoice(id);
      if (isOpenish(invoice)) {
        throw new DomainError(
          "invoice_unpaid",
          `invoice ${invoice.context.number ?? id} of this subscription is unpaid: pay it, or cancel the subscription, before changing the plan`,
        );
      }
    }
    const at = await this.nowFor(ref);
    const invoiceId = newId("inv");
    return this.withPinned(env, merchantId, { subscriptionId, invoiceId }, async (p) => {
      let result: SubscriptionSnapshot | undefined;
      const outcome = await this.append(ref, `billing:${subscriptionId}`, (ctx) => {
        const sub = p.subscription!.speculative.context;
        const newAmountFen = BigInt(price.amountFen);
        const inPeriod = at >= sub.currentPeriodStart && at < sub.currentPeriodEnd;
        const proration = inPeriod
          ? planChangeProration({
              oldAmountFen: sub.amountFen,
              newAmountFen,
              periodStart: sub.currentPeriodStart,
              periodEnd: sub.currentPeriodEnd,
              at,
            })
          : { unusedCreditFen: 0n, remainingChargeFen: 0n, netFen: 0n };
        const upgrade = newAmountFen > sub.amountFen;
        const now = upgrade || newAmountFen === sub.amountFen || input.downgrade === "immediately";
        const invoiced = upgrade && proration.netFen > 0n;
        const command: SubscriptionCommand = now
          ? {
              type: "subscription.change_price",
              priceId: price.id,
              amountFen: newAmountFen,
              timing: "immediately",
              creditFen: upgrade ? 0n : -proration.netFen,
              invoiceId: invoiced ? invoiceId : null,
              ...(invoiced ? { graceEndsAt: at + this.graceMs } : {}),
              whilePaidUp: true,
              at,
            }
          : {
              type: "subscription.change_price",
              priceId: price.id,
              amountFen: newAmountFen,
              timing: "period_end",
              at,
            };
        result = { ref, subscription: preview(subscriptionKind, p.subscription!.speculative, command) };
        const stored = idempotency?.(result);
        const parts: KindPart[] = [partOf(this.subscriptions, p.subscription!)(() => command)];
        const ops: IndexOp[] = stored ? [stored.op] : [];
        if (invoiced) {
          // Named as its fee line was; by id only if another change got in since it was read.
          const oldTitle = sub.priceId === oldPrice.id ? productTitle(product, oldPrice) : sub.priceId;
          parts.push(
            ...this.issueParts(p, ref, {
              invoiceId,
              purpose: "subscription",
              lines: prorationLines(oldTitle, price, product, proration),
              subscriptionId,
              purchaseId: null,
              periodStart: at,
              periodEnd: sub.currentPeriodEnd,
              dueAt: at + this.graceMs,
              at,
            }),
          );
          ops.push(
            ...invoiceRefOps({ ...ref, invoiceId, subscriptionId, purchaseId: null }, ctx.seq),
            // Owed like a renewal: past due when its grace ends unpaid, then dunning.
            put(this.timerKey(ref, at + this.graceMs, { kind: "grace", subscriptionId, invoiceId }), ref),
          );
        }
        return {
          parts,
          command: { type: "billing.change_plan", subscriptionId, priceId: price.id },
          ops,
          keys: stored ? [stored.scope] : [],
        };
      });
      if (!outcome.ok) throw refusal(outcome.code);
      return result!;
    });
  }

  /**
   * Cancels at period end (access held until then) or at once: then its unpaid invoices (the cycle's,
   * and an upgrade's proration if it is the latest) are voided and their live orders closed.
   */
  async cancel(
    env: Environment,
    merchantId: string,
    subscriptionId: string,
    mode: "period_end" | "immediately",
    idempotency?: Idempotency<SubscriptionSnapshot>,
  ): Promise<SubscriptionSnapshot> {
    const { ref, subscription } = await this.subscription(env, merchantId, subscriptionId);
    const at = await this.nowFor(ref);
    const unpaid = subscription.context.unpaidInvoiceId;
    const latest = subscription.context.latestInvoiceId;
    const extraId = mode === "immediately" && latest && latest !== unpaid ? latest : undefined;
    const extra = extraId ? await this.invoices.pin(invoiceEntity(extraId), extraId) : undefined;
    try {
      return await this.withPinned(
        env,
        merchantId,
        {
          subscriptionId,
          invoiceId: unpaid ?? undefined,
          walletOf: mode === "immediately" ? ref.customerId : undefined,
        },
        async (p) => {
          let result: SubscriptionSnapshot | undefined;
          const outcome = await this.append(ref, `billing:${subscriptionId}`, () => {
            const credit = mode === "immediately" ? this.releasedCredit(p) : { parts: [] };
            const command: SubscriptionCommand =
              mode === "immediately"
                ? {
                    type: "subscription.cancel",
                    mode,
                    reason: "requested",
                    at,
                    ...(credit.creditReleasedFen === undefined
                      ? {}
                      : { creditReleasedFen: credit.creditReleasedFen }),
                  }
                : { type: "subscription.cancel", mode, at };
            result = { ref, subscription: preview(subscriptionKind, p.subscription!.speculative, command) };
            const stored = idempotency?.(result);
            const parts: KindPart[] = [
              partOf(this.subscriptions, p.subscription!)(() => command),
              ...credit.parts,
            ];
            for (const invoice of mode === "immediately" ? [p.invoice, extra] : []) {
              if (invoice && isOpenish(invoice.speculative)) {
                parts.push(
                  partOf(
                    this.invoices,
                    invoice,
                  )(() => ({ type: "invoice.void", reason: "subscription_canceled", at })),
                );
              }
            }
            return {
              parts,
              command: { type: "billing.cancel", subscriptionId, mode },
              ops: stored ? [stored.op] : [],
              keys: stored ? [stored.scope] : [],
            };
          });
          if (!outcome.ok) throw refusal(outcome.code);
          for (const fact of outcome.facts) {
            const voided = fact as { type: string; invoiceId?: string };
            if (voided.type === "invoice.voided" && voided.invoiceId) this.closeOpenAttempt(voided.invoiceId);
          }
          return result!;
        },
      );
    } finally {
      if (extra) this.invoices.unpin(extra);
    }
  }

  /** Closes a voided invoice's live payment attempt at the channel (best effort: the order expires anyway). */
  closeOpenAttempt(invoiceId: string): void {
    void this.payments.closeAttempt(invoiceId).catch((error: unknown) => {
      console.warn(
        `the payment of voided invoice ${invoiceId} stays open at the channel until it expires`,
        error,
      );
    });
  }

  /** Undoes a scheduled cancel before the period ends. */
  async resume(
    env: Environment,
    merchantId: string,
    subscriptionId: string,
    idempotency?: Idempotency<SubscriptionSnapshot>,
  ): Promise<SubscriptionSnapshot> {
    const { ref } = await this.subscription(env, merchantId, subscriptionId);
    const at = await this.nowFor(ref);
    return this.withPinned(env, merchantId, { subscriptionId }, async (p) => {
      let result: SubscriptionSnapshot | undefined;
      const outcome = await this.append(ref, `billing:${subscriptionId}`, () => {
        const command: SubscriptionCommand = { type: "subscription.resume", at };
        result = { ref, subscription: preview(subscriptionKind, p.subscription!.speculative, command) };
        const stored = idempotency?.(result);
        return {
          parts: [partOf(this.subscriptions, p.subscription!)(() => command)],
          command: { type: "billing.resume", subscriptionId },
          ops: stored ? [stored.op] : [],
          keys: stored ? [stored.scope] : [],
        };
      });
      if (!outcome.ok) throw refusal(outcome.code);
      return result!;
    });
  }

  // ── Purchases ──────────────────────────────────────────────────────────────────────────────────

  /** A one-time purchase: its invoice is finalized now; paying it grants the entitlement. */
  async purchase(
    customer: Customer,
    priceId: string,
    idempotency?: Idempotency<PurchaseSnapshot>,
  ): Promise<PurchaseSnapshot> {
    const { price, product } = await this.priceOf(customer, priceId, "one_time");
    const ref = refOf(customer);
    const at = await this.nowFor(ref);
    const purchaseId = newId("pur");
    const invoiceId = newId("inv");
    const expiresAt = at + this.firstInvoiceExpiryMs;
    return this.withPinned(ref.env, ref.merchantId, { purchaseId, invoiceId }, async (p) => {
      let result: PurchaseSnapshot | undefined;
      const outcome = await this.append(ref, `billing:${purchaseId}`, (ctx) => {
        const create: PurchaseCommand = {
          type: "purchase.create",
          purchaseId,
          customerId: customer.id,
          productId: product.id,
          priceId: price.id,
          amountFen: BigInt(price.amountFen),
          invoiceId,
          refundWindowMs: (price.refundWindowDays ?? 0) * day,
          at,
        };
        result = { ref, purchase: preview(purchaseKind, p.purchase!.speculative, create) };
        const stored = idempotency?.(result);
        return {
          parts: [
            partOf(this.purchases, p.purchase!)(() => create),
            ...this.issueParts(p, ref, {
              invoiceId,
              purpose: "purchase",
              lines: [purchaseLine(product, price)],
              subscriptionId: null,
              purchaseId,
              periodStart: null,
              periodEnd: null,
              dueAt: expiresAt,
              at,
            }),
          ],
          command: { type: "billing.purchase", purchaseId, invoiceId },
          ops: [
            put(purchaseRefKey(purchaseId), ref),
            put(customerBillingKey(customer.id, purchaseId), ""),
            ...invoiceRefOps({ ...ref, invoiceId, subscriptionId: null, purchaseId }, ctx.seq),
            put(this.timerKey(ref, expiresAt, { kind: "purchase_expiry", purchaseId, invoiceId }), ref),
            ...(stored ? [stored.op] : []),
          ],
          keys: stored ? [stored.scope] : [],
        };
      });
      if (!outcome.ok) throw refusal(outcome.code);
      return result!;
    });
  }

  async purchaseOf(env: Environment, merchantId: string, purchaseId: string): Promise<PurchaseSnapshot> {
    const ref = await this.refOf(purchaseRefKey(purchaseId), env, merchantId);
    if (!ref) throw new DomainError("purchase_not_found", `no purchase ${purchaseId}`);
    const resident = await this.purchases.read(purchaseEntity(purchaseId), purchaseId);
    return { ref, purchase: resident.committed };
  }

  /**
   * Refunds a paid purchase in full inside its refund window, revoking the entitlement in the same
   * record that takes the credit back; the money goes back through the channel it came by.
   */
  async refundPurchase(
    env: Environment,
    merchantId: string,
    purchaseId: string,
    reason: string | null,
    idempotency?: Idempotency<RefundResult>,
  ): Promise<RefundResult> {
    const { ref, purchase } = await this.purchaseOf(env, merchantId, purchaseId);
    const at = await this.nowFor(ref);
    const context = purchase.context;
    if (purchase.value !== "paid")
      throw new DomainError("purchase_not_paid", `the purchase is ${purchase.value}`);
    if (context.paidAt === null || at > context.paidAt + context.refundWindowMs) {
      throw new DomainError(
        "refund_window_closed",
        context.refundWindowMs === 0
          ? "this price allows no refunds"
          : `the refund window closed at ${new Date((context.paidAt ?? 0) + context.refundWindowMs).toISOString()}`,
      );
    }
    return this.payments.refund(
      env,
      merchantId,
      { invoiceId: context.invoiceId, amountFen: context.amountFen, reason },
      idempotency,
    );
  }

  // ── Invoices ───────────────────────────────────────────────────────────────────────────────────

  async invoiceRef(
    env: Environment,
    merchantId: string | null,
    invoiceId: string,
  ): Promise<BillingInvoiceRef | undefined> {
    const stored = await this.log.get(billingInvoiceRefKey(invoiceId));
    if (stored === undefined) return undefined;
    const ref = JSON.parse(stored) as BillingInvoiceRef;
    return ref.env === env && (merchantId === null || ref.merchantId === merchantId) ? ref : undefined;
  }

  async invoice(invoiceId: string): Promise<EntityState<InvoiceContext>> {
    return (await this.invoices.read(invoiceEntity(invoiceId), invoiceId)).committed;
  }

  /**
   * A merchant's billing invoices, newest first, filtered; `beforeSeq` is the previous page's cursor.
   * Reads at most a bounded number of index entries per page: a page that stops there says so
   * (`hasMore`, resuming after `lastSeq`, the last entry read) even when it found fewer than `limit`.
   */
  async listInvoices(
    env: Environment,
    merchantId: string,
    filter: { customerId?: string; subscriptionId?: string; status?: string },
    page: { limit: number; beforeSeq?: number },
  ): Promise<{
    items: Array<{ seq: number; ref: BillingInvoiceRef; invoice: EntityState<InvoiceContext> }>;
    hasMore: boolean;
    lastSeq: number | null;
  }> {
    const prefix = merchantInvoicePrefix(env, merchantId);
    const lt =
      page.beforeSeq === undefined ? `${prefix}~` : `${prefix}${page.beforeSeq.toString().padStart(16, "0")}`;
    const items: Array<{ seq: number; ref: BillingInvoiceRef; invoice: EntityState<InvoiceContext> }> = [];
    let scanned = 0;
    let lastScanned: number | null = null;
    for await (const [key, invoiceId] of this.log.db.iterator({
      gt: prefix,
      lt,
      reverse: true,
      limit: limits.invoiceListScanMax,
    })) {
      const seq = Number(key.slice(prefix.length));
      scanned += 1;
      lastScanned = seq;
      const ref = await this.invoiceRefById(invoiceId);
      if (!ref) continue;
      if (filter.customerId !== undefined && ref.customerId !== filter.customerId) continue;
      if (filter.subscriptionId !== undefined && ref.subscriptionId !== filter.subscriptionId) continue;
      const invoice = await this.invoice(invoiceId);
      if (filter.status !== undefined && invoice.value !== filter.status) continue;
      if (items.length === page.limit) return { items, hasMore: true, lastSeq: items.at(-1)!.seq };
      items.push({ seq, ref, invoice });
    }
    const cutShort = scanned === limits.invoiceListScanMax;
    return { items, hasMore: cutShort, lastSeq: cutShort ? lastScanned : (items.at(-1)?.seq ?? null) };
  }

  /** The parts that issue a finalized invoice with the merchant's next number, in one record. */
  issueParts(
    p: Pinned,
    ref: BillingRef,
    input: {
      invoiceId: string;
      purpose: "subscription" | "purchase";
      lines: InvoiceLine[];
      subscriptionId: string | null;
      purchaseId: string | null;
      periodStart: number | null;
      periodEnd: number | null;
      dueAt: number;
      at: number;
      creditAppliedFen?: bigint;
    },
  ): KindPart[] {
    const numbers = p.numbers;
    const invoice = p.invoice;
    if (!numbers || !invoice) throw new Error("issuing an invoice needs its numbers and invoice pinned");
    const number = formatInvoiceNumber(ref.env, numbers.speculative.context.issued + 1);
    return [
      partOf(
        this.invoices,
        invoice,
      )(() => ({
        type: "invoice.issue",
        invoiceId: input.invoiceId,
        customerId: ref.customerId,
        currency: "CNY",
        purpose: input.purpose,
        lines: input.lines,
        creditAppliedFen: input.creditAppliedFen ?? 0n,
        subscriptionId: input.subscriptionId,
        purchaseId: input.purchaseId,
        periodStart: input.periodStart,
        periodEnd: input.periodEnd,
        number,
        dueAt: input.dueAt,
        at: input.at,
      })),
      partOf(
        this.numbers,
        numbers,
      )(() => ({ type: "invoice_number.take", invoiceId: input.invoiceId, at: input.at })),
    ];
  }

  /** The parts that finalize a draft with the merchant's next number. */
  finalizeParts(p: Pinned, ref: BillingRef, invoiceId: string, at: number): KindPart[] {
    const numbers = p.numbers;
    const invoice = p.invoice;
    if (!numbers || !invoice) throw new Error("finalizing an invoice needs its numbers and invoice pinned");
    const number = formatInvoiceNumber(ref.env, numbers.speculative.context.issued + 1);
    return [
      partOf(
        this.invoices,
        invoice,
      )(() => ({
        type: "invoice.finalize",
        number,
        addLines: [],
        dueAt: at + this.graceMs,
        at,
      })),
      partOf(this.numbers, numbers)(() => ({ type: "invoice_number.take", invoiceId, at })),
    ];
  }

  // ── Entitlements and settlement (actors/entitlements.ts, actors/billingSettlement.ts) ─────────────

  /** What the customer has access to now: active (or past due) subscriptions and paid purchases. */
  entitlements(customer: Customer): Promise<Entitlement[]> {
    return entitlementsOf(this, customer);
  }

  /** The customer's subscriptions. */
  subscriptionsOf(customer: Customer): Promise<SubscriptionSnapshot[]> {
    return subscriptionsOf(this, customer);
  }

  purchasesOf(customer: Customer): Promise<PurchaseSnapshot[]> {
    return purchasesOf(this, customer);
  }

  pin(invoice: InvoiceContext): Promise<SettlementParts> {
    return settlementFor(this, invoice);
  }

  // ── Plumbing ───────────────────────────────────────────────────────────────────────────────────

  timerKey(ref: BillingRef, dueAt: number, timer: BillingTimer): string {
    return billingTimerKey(ref.testClockId, dueAt, timer);
  }

  append(ref: BillingRef, primary: string, plan: Parameters<typeof appendAcrossKinds>[4]) {
    return appendAcrossKinds(
      this.log,
      this.publish,
      { env: ref.env, merchantId: ref.merchantId },
      primary,
      plan,
    );
  }

  /** Pins the named entities (and the merchant's invoice numbers with an invoice) for one record. */
  async withPinned<T>(
    env: Environment,
    merchantId: string,
    ids: {
      subscriptionId?: string | undefined;
      purchaseId?: string | undefined;
      invoiceId?: string | undefined;
      /** The customer whose wallet the record may credit (a subscription ending with credit). */
      walletOf?: string | undefined;
    },
    run: (pinned: Pinned) => Promise<T>,
  ): Promise<T> {
    const pinned: Pinned = {};
    try {
      if (ids.walletOf) pinned.wallet = await this.wallets.pin(walletEntity(ids.walletOf), ids.walletOf);
      if (ids.subscriptionId)
        pinned.subscription = await this.subscriptions.pin(
          subscriptionEntity(ids.subscriptionId),
          ids.subscriptionId,
        );
      if (ids.purchaseId)
        pinned.purchase = await this.purchases.pin(purchaseEntity(ids.purchaseId), ids.purchaseId);
      if (ids.invoiceId) {
        pinned.invoice = await this.invoices.pin(invoiceEntity(ids.invoiceId), ids.invoiceId);
        const numbers = invoiceNumbersEntity(env, merchantId);
        pinned.numbers = await this.numbers.pin(numbers, numbers);
      }
      return await run(pinned);
    } finally {
      if (pinned.subscription) this.subscriptions.unpin(pinned.subscription);
      if (pinned.purchase) this.purchases.unpin(pinned.purchase);
      if (pinned.invoice) this.invoices.unpin(pinned.invoice);
      if (pinned.numbers) this.numbers.unpin(pinned.numbers);
      if (pinned.wallet) this.wallets.unpin(pinned.wallet);
    }
  }

  /**
   * Ending a subscription moves the account credit it still holds (unused time after a downgrade)
   * to the customer's wallet in the same record, where it stays spendable: the amount for the ending
   * command, and the wallet's part. Nothing when it holds none.
   */
  releasedCredit(p: Pinned): { creditReleasedFen?: bigint; parts: KindPart[] } {
    const { creditFen, subscriptionId } = p.subscription!.speculative.context;
    if (creditFen === 0n) return { parts: [] };
    if (!p.wallet)
      throw new Error(`subscription ${subscriptionId} ends with credit, but no wallet is pinned`);
    return {
      creditReleasedFen: creditFen,
      parts: [
        partOf(
          this.wallets,
          p.wallet,
        )(({ at }) => ({
          type: "wallet.receive_credit",
          amountMicros: fenToMicros(creditFen),
          subscriptionId,
          transactionId: newId("wtx"),
          at,
        })),
      ],
    };
  }

  async invoiceRefById(invoiceId: string): Promise<BillingInvoiceRef | undefined> {
    const stored = await this.log.get(billingInvoiceRefKey(invoiceId));
    return stored === undefined ? undefined : (JSON.parse(stored) as BillingInvoiceRef);
  }

  private async refOf(key: string, env: Environment, merchantId: string): Promise<BillingRef | undefined> {
    const stored = await this.log.get(key);
    if (stored === undefined) return undefined;
    const ref = JSON.parse(stored) as BillingRef;
    return ref.env === env && ref.merchantId === merchantId ? ref : undefined;
  }

  private async priceOf(
    owner: { env: Environment; merchantId: string },
    priceId: string,
    type: "recurring" | "one_time",
  ): Promise<{ price: Price; product: Product }> {
    const price = await this.catalog.requirePrice(owner.env, owner.merchantId, priceId);
    if (price.type !== type) {
      throw new DomainError(
        "price_type_mismatch",
        type === "recurring" ? "a subscription needs a recurring price" : "a purchase needs a one-time price",
      );
    }
    const product = await this.catalog.requireProduct(owner.env, owner.merchantId, price.productId);
    return { price, product };
  }
}

export interface Pinned {
  subscription?: Resident<SubscriptionContext>;
  purchase?: Resident<PurchaseContext>;
  invoice?: Resident<InvoiceContext>;
  numbers?: Resident<InvoiceNumbersContext>;
  wallet?: Resident<WalletContext>;
}

export function refOf(customer: Customer): BillingRef {
  return {
    env: customer.env,
    merchantId: customer.merchantId,
    customerId: customer.id,
    customerExternalId: customer.externalId,
    testClockId: customer.testClockId,
  };
}

export function invoiceRefOps(ref: BillingInvoiceRef, seq: number): IndexOp[] {
  return [
    put(billingInvoiceRefKey(ref.invoiceId), ref),
    put(merchantInvoiceKey(ref.env, ref.merchantId, seq), ref.invoiceId),
  ];
}

const isOpenish = (invoice: EntityState<InvoiceContext>) =>
  invoice.value === "open" || invoice.value === "draft";

/** The state a command would lead to: the response is rendered before the record is appended. */
function preview<TMachine extends AnyStateMachine, TContext, TCommand, TFact>(
  kind: EntityKind<TMachine, TContext, TCommand, TFact>,
  state: EntityState<TContext>,
  command: TCommand,
): EntityState<TContext> {
  const decision = decide(kind.machine, kind.toSnapshot(state), command as never);
  return decision.ok ? kind.fromSnapshot(decision.next) : state;
}
