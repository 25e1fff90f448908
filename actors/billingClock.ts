import { monthlyPeriodEnd } from "../domain/billing/index.js";
import { limits } from "../domain/limits.js";
import { newId } from "../domain/ids.js";
import { invoiceEntity } from "../machines/invoiceKind.js";
import type { InvoiceContext, InvoiceLine } from "../machines/invoiceTypes.js";
import type { IndexOp } from "../wal/record.js";
import { invoiceRefOps, refOf, type BillingService, type Pinned } from "./billing.js";
import { feeLine } from "./billingLines.js";
import { refusal } from "./billingRefusals.js";
import { DomainError } from "../domain/errors.js";
import type { WalletClocks, WalletService } from "./wallets.js";
import {
  billingTimerKey,
  billingTimerPrefix,
  billingTimerRoot,
  del,
  dueOf,
  put,
  usageBilledKey,
  type BillingRef,
  type BillingTimer,
} from "./billingRefs.js";
import type { Price, Product, ProductCatalog } from "./catalog.js";
import type { EntityState } from "../machines/kind.js";
import type { SubscriptionContext } from "../machines/subscriptionTypes.js";
import { partOf, type KindPart } from "./crossKindRecord.js";
import type { Resident } from "./registry.js";
import type { TestClock } from "./testClocks.js";
import type { TimerKind } from "./timers.js";
import type { PostpaidUsage } from "./postpaidUsage.js";

/** A billing timer's value: whose it is (the key says what and when). */
type StoredTimerValue = BillingRef;

/**
 * What happens to subscriptions and purchases as time passes, from durable timers: a period ends
 * (renew with a new invoice, or end a scheduled cancel), a draft is finalized, a renewal's grace runs
 * out (past due), dunning runs out (canceled, invoice uncollectible), a first invoice expires unpaid.
 * Each firing is one record that deletes its timer (and sets the next); a timer whose entity has moved
 * on is dropped. Real-time timers are swept with the others; a test clock's fire as it is advanced.
 */
export class BillingClock {
  constructor(
    private readonly billing: BillingService,
    private readonly catalog: ProductCatalog,
    private readonly usage: PostpaidUsage,
    private readonly wallets: WalletService,
  ) {}

  /** How wallets of test clock customers keep time and where their reservations' expiries wait. */
  walletClocks(): WalletClocks {
    return {
      now: (customer) => this.billing.nowFor(customer),
      expiryPlace: (customer) => ({
        key: (dueAt, reservationId) =>
          billingTimerKey(customer.testClockId, dueAt, { kind: "reservation", reservationId }),
        value: () => JSON.stringify(refOf(customer)),
      }),
    };
  }

  /** Real-time timers whose firing failed: not tried again before `retryAt` (ms). */
  private readonly backoff = new Map<string, { attempts: number; retryAt: number }>();

  /** Real-time firings in flight, by the subscription or purchase they act on: see `timerKind`. */
  private readonly firing = new Map<string, Promise<unknown>>();

  /**
   * The sweeper's kind for real-time billing timers. The sweeper fires a kind's due timers together,
   * in key (due) order; those of one subscription or purchase run one after another in that order,
   * as a test clock's do, so a grace and the next renewal both due after an outage apply in the order
   * they fell due (the renewal would otherwise race the lapse and leave the lapsed invoice un-dunned).
   */
  timerKind(): TimerKind {
    return {
      prefix: billingTimerPrefix(null),
      fire: async (key, value, now) => {
        const waiting = this.backoff.get(key);
        if (waiting && waiting.retryAt > now) return false;
        const owner = ownerOf(timerOf(key));
        const run = (this.firing.get(owner) ?? Promise.resolve()).then(() =>
          this.fire(key, value, Math.max(now, dueOf(key))),
        );
        const settled = run.catch(() => {});
        this.firing.set(owner, settled);
        try {
          await run;
          this.backoff.delete(key);
          return true;
        } catch (error) {
          // Kept, and tried again later: a failure must neither stop the sweeper nor lose the timer.
          const attempts = (waiting?.attempts ?? 0) + 1;
          const delayMs = Math.min(1_000 * 2 ** attempts, limits.channelRetryDelayMsMax);
          this.backoff.set(key, { attempts, retryAt: now + delayMs });
          console.error(
            `billing timer ${key} failed (attempt ${attempts}); retrying in ${delayMs} ms`,
            error,
          );
          return false;
        } finally {
          if (this.firing.get(owner) === settled) this.firing.delete(owner);
        }
      },
    };
  }

  /**
   * Advances a test clock: fires its customers' due timers in due order, each at its own due time
   * (so a year passes as twelve renewals, each seeing the time it happened), including timers set by
   * earlier firings, until none is due by `to`.
   */
  async advance(clock: TestClock, to: number): Promise<void> {
    const prefix = billingTimerPrefix(clock.id);
    const end = `${prefix}${(to + 1).toString().padStart(15, "0")}`;
    for (let fired = 0; fired < limits.testClockTimersPerAdvanceMax; fired++) {
      await this.billing.log.flush();
      const next = await this.billing.log.db.iterator({ gte: prefix, lt: end, limit: 1 }).all();
      const entry = next[0];
      if (!entry) return;
      const [key, value] = entry;
      await this.fire(key, value, dueOf(key));
    }
    throw new Error(
      `test clock ${clock.id}: more than ${limits.testClockTimersPerAdvanceMax} timers in one advance`,
    );
  }

  private async fire(key: string, value: string, at: number): Promise<void> {
    const stored = JSON.parse(value) as StoredTimerValue;
    const timer = timerOf(key);
    const ref: BillingRef = {
      env: stored.env,
      merchantId: stored.merchantId,
      customerId: stored.customerId,
      customerExternalId: stored.customerExternalId,
      testClockId: stored.testClockId,
    };
    const handled = await this.handle(ref, key, timer, at);
    if (!handled) await this.billing.log.db.del(key);
  }

  /** Returns false when the timer is stale (its record never came): the caller drops it. */
  private async handle(ref: BillingRef, key: string, timer: BillingTimer, at: number): Promise<boolean> {
    switch (timer.kind) {
      case "renew":
        return this.renew(ref, key, timer.subscriptionId, at);
      case "finalize":
        return this.finalize(ref, key, timer.invoiceId, at);
      case "grace":
        return this.lapse(ref, key, timer.subscriptionId, timer.invoiceId, at);
      case "dunning":
        return this.giveUp(ref, key, timer.subscriptionId, timer.invoiceId, at);
      case "incomplete":
        return this.expireIncomplete(ref, key, timer.subscriptionId, timer.invoiceId, at);
      case "purchase_expiry":
        return this.expirePurchase(ref, key, timer.purchaseId, timer.invoiceId, at);
      case "reservation":
        return this.expireReservation(ref, timer.reservationId, at);
    }
  }

  /** A test clock passed a reservation's expiry: the wallet releases it (the record deletes the timer). */
  private async expireReservation(ref: BillingRef, reservationId: string, at: number) {
    const customer = {
      id: ref.customerId,
      externalId: ref.customerExternalId,
      env: ref.env,
      merchantId: ref.merchantId,
      testClockId: ref.testClockId,
      name: null,
      email: null,
      createdAt: 0,
    };
    try {
      await this.wallets.execute(
        customer,
        (ctx) => ({ type: "wallet.expire", reservationId, transactionId: newId("wtx"), at: ctx.at }),
        undefined,
        { at },
      );
      return true;
    } catch (error) {
      // Captured or released first: the timer is stale.
      if (error instanceof DomainError && error.code === "reservation_not_found") return false;
      throw error;
    }
  }

  /**
   * The period ended: a scheduled cancel ends the subscription; otherwise the next period starts with
   * its invoice drafted (the fee in advance, postpaid usage since the last invoice in arrears, an
   * unpaid upgrade's proration carried over, account credit taken off) and then finalized.
   */
  private async renew(ref: BillingRef, key: string, subscriptionId: string, at: number): Promise<boolean> {
    const billing = this.billing;
    const invoiceId = newId("inv");
    const current = (await billing.subscription(ref.env, ref.merchantId, subscriptionId)).subscription;
    if (!renewalDue(current, at)) return false;
    const sub = current.context;
    // Both prices the renewal may bill, read ahead; the record picks by the state it is decided on.
    const prices = new Map<string, { price: Price; product: Product }>();
    for (const priceId of new Set([sub.priceId, sub.pendingChange?.priceId ?? sub.priceId])) {
      const price = await this.catalog.requirePrice(ref.env, ref.merchantId, priceId);
      const product = await this.catalog.requireProduct(ref.env, ref.merchantId, price.productId);
      prices.set(priceId, { price, product });
    }
    const periodStart = sub.currentPeriodEnd;
    const periodEnd = monthlyPeriodEnd(sub.anchorAt, sub.periodIndex + 1);
    // The fee line is at least the cheaper of the prices it may bill (a pending change may apply).
    const feesFen = [...prices.values()].map(({ price }) => BigInt(price.amountFen));
    const usage = await this.usage.unbilled(
      ref,
      feesFen.reduce((a, b) => (b < a ? b : a)),
    );
    const linesFor = (live: SubscriptionContext): InvoiceLine[] => {
      const billed = prices.get(live.pendingChange?.priceId ?? live.priceId);
      if (!billed || live.currentPeriodEnd !== periodStart) {
        throw new Error(`subscription ${subscriptionId} changed while renewing; the renewal is retried`);
      }
      return [feeLine(billed.product, billed.price, periodStart, periodEnd), ...usage.lines];
    };
    const finalizeAt = at;
    const owed = await this.unpaidProration(sub);
    try {
      return await this.renewWith(ref, key, subscriptionId, at, {
        invoiceId,
        periodStart,
        periodEnd,
        finalizeAt,
        usage,
        linesFor,
        owed,
      });
    } finally {
      if (owed) billing.invoices.unpin(owed);
    }
  }

  /**
   * An upgrade's proration invoice still unpaid when the period ends, pinned: the renewal carries its
   * lines onto the new invoice and voids it, so that one invoice is owed. Kept apart, paying the
   * renewal (which the subscription then tracks) left the proration owed but never dunned.
   */
  private async unpaidProration(sub: SubscriptionContext): Promise<Resident<InvoiceContext> | undefined> {
    const id = sub.unpaidInvoiceId;
    if (id === null) return undefined;
    const invoice = await this.billing.invoices.pin(invoiceEntity(id), id);
    if (isUnpaidProration(invoice.speculative)) return invoice;
    this.billing.invoices.unpin(invoice);
    return undefined;
  }

  private async renewWith(
    ref: BillingRef,
    key: string,
    subscriptionId: string,
    at: number,
    next: {
      invoiceId: string;
      periodStart: number;
      periodEnd: number;
      finalizeAt: number;
      usage: Awaited<ReturnType<PostpaidUsage["unbilled"]>>;
      linesFor: (live: SubscriptionContext) => InvoiceLine[];
      owed: Resident<InvoiceContext> | undefined;
    },
  ): Promise<boolean> {
    const billing = this.billing;
    const { invoiceId, periodStart, periodEnd, finalizeAt, usage, linesFor, owed } = next;
    const renewed = await billing.withPinned(
      ref.env,
      ref.merchantId,
      { subscriptionId, invoiceId, walletOf: ref.customerId },
      async (p) => {
        const outcome = await billing.append(ref, `billing:${subscriptionId}`, (ctx) => {
          const live = p.subscription!.speculative.context;
          if (live.cancelAtPeriodEnd) {
            // A cancel scheduled for this period end: the subscription ends instead of renewing.
            const credit = billing.releasedCredit(p);
            const { creditReleasedFen } = credit;
            return {
              parts: [
                partOf(
                  billing.subscriptions,
                  p.subscription!,
                )(() => ({
                  type: "subscription.end",
                  at,
                  ...(creditReleasedFen === undefined ? {} : { creditReleasedFen }),
                })),
                ...credit.parts,
              ],
              command: { type: "billing.end", subscriptionId },
              ops: [del(key), ...dunningOfEndedInGrace(billing, ref, p.subscription!.speculative)],
            };
          }
          const billed = (extra: InvoiceLine[]) => {
            const lines = [...linesFor(live), ...extra];
            const subtotal = lines.reduce((sum, line) => sum + line.amountFen, 0n);
            const credit = live.creditFen < subtotal ? live.creditFen : subtotal;
            return { lines, credit, invoicePaid: subtotal - credit === 0n };
          };
          let carried =
            owed && live.unpaidInvoiceId === owed.entityId && isUnpaidProration(owed.speculative)
              ? owed
              : undefined;
          let { lines, credit, invoicePaid } = billed(carried?.speculative.context.lines ?? []);
          // Credit covering both would leave the voided proration tracked as unpaid: it stays owed alone.
          if (carried && invoicePaid) {
            carried = undefined;
            ({ lines, credit, invoicePaid } = billed([]));
          }
          const graceEndsAt = at + billing.graceMs;
          const ops: IndexOp[] = [
            del(key),
            put(billing.timerKey(ref, periodEnd, { kind: "renew", subscriptionId }), ref),
            put(billing.timerKey(ref, finalizeAt, { kind: "finalize", invoiceId }), ref),
            ...invoiceRefOps({ ...ref, invoiceId, subscriptionId, purchaseId: null }, ctx.seq),
          ];
          if (!invoicePaid)
            ops.push(
              put(billing.timerKey(ref, graceEndsAt, { kind: "grace", subscriptionId, invoiceId }), ref),
            );
          if (!invoicePaid && p.subscription!.speculative.value === "past_due") {
            // Already past due, so this invoice never lapses on its own: its dunning runs from its
            // grace end too, whichever older invoice the customer pays meanwhile.
            const dunningAt = graceEndsAt + billing.dunningMs;
            ops.push(
              put(billing.timerKey(ref, dunningAt, { kind: "dunning", subscriptionId, invoiceId }), ref),
            );
          }
          if (usage.throughSeq > 0) ops.push(put(usageBilledKey(ref.customerId), usage.marker));
          return {
            parts: [
              partOf(
                billing.subscriptions,
                p.subscription!,
              )(() => ({
                type: "subscription.renew",
                invoiceId,
                periodEnd,
                graceEndsAt,
                creditAppliedFen: credit,
                invoicePaid,
                at,
              })),
              partOf(
                billing.invoices,
                p.invoice!,
              )(() => ({
                type: "invoice.draft",
                invoiceId,
                customerId: ref.customerId,
                currency: "CNY",
                purpose: "subscription",
                lines,
                creditAppliedFen: credit,
                subscriptionId,
                purchaseId: null,
                periodStart,
                periodEnd,
                at,
              })),
              ...(carried
                ? [
                    partOf(
                      billing.invoices,
                      carried,
                    )(() => ({ type: "invoice.void", reason: "carried_to_renewal", at })),
                  ]
                : []),
            ],
            command: { type: "billing.renew", subscriptionId, invoiceId },
            ops,
          };
        });
        if (outcome.ok) {
          closeVoided(billing, outcome.facts);
          return outcome.facts.some((fact) => fact.type === "subscription.renewed") ? "renewed" : "ended";
        }
        // Refused: stale if the subscription moved on meanwhile; otherwise kept and tried again.
        if (!renewalDue(p.subscription!.speculative, at)) return "stale";
        throw refusal(outcome.code);
      },
    );
    if (renewed === "stale") return false;
    if (renewed === "ended") return true;
    await this.finalize(
      ref,
      billing.timerKey(ref, finalizeAt, { kind: "finalize", invoiceId }),
      invoiceId,
      finalizeAt,
    );
    return true;
  }

  private async finalize(ref: BillingRef, key: string, invoiceId: string, at: number): Promise<boolean> {
    const billing = this.billing;
    return billing.withPinned(ref.env, ref.merchantId, { invoiceId }, async (p) => {
      if (p.invoice!.speculative.value !== "draft") return false;
      const outcome = await billing.append(ref, `billing:${invoiceId}`, () => ({
        parts: billing.finalizeParts(p, ref, invoiceId, at),
        command: { type: "billing.finalize", invoiceId },
        ops: [del(key)],
      }));
      return outcome.ok;
    });
  }

  /** Grace is over and the renewal invoice is unpaid: past due, and dunning starts. */
  private async lapse(ref: BillingRef, key: string, subscriptionId: string, invoiceId: string, at: number) {
    return this.onSubscription(ref, key, { subscriptionId }, (p) => {
      const sub = p.subscription!.speculative;
      if (sub.value !== "active" || sub.context.unpaidInvoiceId !== invoiceId) return undefined;
      return {
        parts: [
          partOf(
            this.billing.subscriptions,
            p.subscription!,
          )(() => ({ type: "subscription.lapse", invoiceId, at })),
        ],
        ops: [
          put(
            this.billing.timerKey(ref, at + this.billing.dunningMs, {
              kind: "dunning",
              subscriptionId,
              invoiceId,
            }),
            ref,
          ),
        ],
      };
    });
  }

  /**
   * Dunning ran out on a cycle invoice still open: the subscription is canceled as unpaid and that
   * invoice written off. If the subscription renewed while past due, the dunning still runs from the
   * invoice that lapsed, and the later cycle invoice, for a period it will not have, is voided.
   */
  private async giveUp(ref: BillingRef, key: string, subscriptionId: string, invoiceId: string, at: number) {
    const billing = this.billing;
    const { subscription } = await billing.subscription(ref.env, ref.merchantId, subscriptionId);
    const laterId = subscription.context.unpaidInvoiceId;
    const later =
      laterId !== null && laterId !== invoiceId
        ? await billing.invoices.pin(invoiceEntity(laterId), laterId)
        : undefined;
    try {
      return await this.onSubscription(
        ref,
        key,
        { subscriptionId, invoiceId, walletOf: ref.customerId },
        (p) => {
          const sub = p.subscription!.speculative;
          if (p.invoice!.speculative.value !== "open") return undefined;
          if (sub.value === "canceled" || sub.value === "active") {
            // Ended at its period end while past due, or active again because a later invoice was
            // paid: the unpaid period is written off when its dunning ends, the subscription left be.
            return {
              parts: [
                partOf(
                  billing.invoices,
                  p.invoice!,
                )(() => ({ type: "invoice.mark_uncollectible", reason: "dunning_ended", at })),
              ],
              ops: [],
            };
          }
          if (sub.value !== "past_due") return undefined;
          const credit = billing.releasedCredit(p);
          const { creditReleasedFen } = credit;
          const parts: KindPart[] = [
            partOf(
              billing.subscriptions,
              p.subscription!,
            )(() => ({
              type: "subscription.cancel",
              mode: "immediately",
              reason: "unpaid",
              at,
              ...(creditReleasedFen === undefined ? {} : { creditReleasedFen }),
            })),
            ...credit.parts,
            partOf(
              billing.invoices,
              p.invoice!,
            )(() => ({
              type: "invoice.mark_uncollectible",
              reason: "dunning_ended",
              at,
            })),
          ];
          const laterState = later?.speculative.value;
          if (
            later &&
            sub.context.unpaidInvoiceId === laterId &&
            (laterState === "open" || laterState === "draft")
          ) {
            parts.push(
              partOf(
                billing.invoices,
                later,
              )(() => ({ type: "invoice.void", reason: "subscription_canceled", at })),
            );
          }
          return { parts, ops: [] };
        },
      );
    } finally {
      if (later) billing.invoices.unpin(later);
    }
  }

  /** The first invoice was never paid: the subscription never starts and its invoice is voided. */
  private async expireIncomplete(
    ref: BillingRef,
    key: string,
    subscriptionId: string,
    invoiceId: string,
    at: number,
  ) {
    return this.onSubscription(ref, key, { subscriptionId, invoiceId }, (p) => {
      if (p.subscription!.speculative.value !== "incomplete") return undefined;
      const parts: KindPart[] = [
        partOf(
          this.billing.subscriptions,
          p.subscription!,
        )(() => ({ type: "subscription.expire_incomplete", at })),
      ];
      if (p.invoice!.speculative.value === "open") {
        parts.push(
          partOf(this.billing.invoices, p.invoice!)(() => ({ type: "invoice.void", reason: "expired", at })),
        );
      }
      return { parts, ops: [] };
    });
  }

  private async expirePurchase(
    ref: BillingRef,
    key: string,
    purchaseId: string,
    invoiceId: string,
    at: number,
  ) {
    const billing = this.billing;
    return billing.withPinned(ref.env, ref.merchantId, { purchaseId, invoiceId }, async (p) => {
      if (p.purchase!.speculative.value !== "pending") return false;
      const parts: KindPart[] = [
        partOf(billing.purchases, p.purchase!)(() => ({ type: "purchase.cancel", reason: "expired", at })),
      ];
      if (p.invoice!.speculative.value === "open") {
        parts.push(
          partOf(billing.invoices, p.invoice!)(() => ({ type: "invoice.void", reason: "expired", at })),
        );
      }
      const outcome = await billing.append(ref, `billing:${purchaseId}`, () => ({
        parts,
        command: { type: "billing.expire_purchase", purchaseId },
        ops: [del(key)],
      }));
      if (outcome.ok) closeVoided(billing, outcome.facts);
      return outcome.ok;
    });
  }

  private async onSubscription(
    ref: BillingRef,
    key: string,
    ids: { subscriptionId: string; invoiceId?: string; walletOf?: string },
    plan: (p: Pinned) => { parts: KindPart[]; ops: IndexOp[] } | undefined,
  ): Promise<boolean> {
    const billing = this.billing;
    const { subscriptionId } = ids;
    return billing.withPinned(ref.env, ref.merchantId, ids, async (p) => {
      const planned = plan(p);
      if (!planned) return false;
      const outcome = await billing.append(ref, `billing:${subscriptionId}`, () => ({
        parts: planned.parts,
        command: { type: "billing.timer", subscriptionId, timer: key.slice(billingTimerRoot.length) },
        ops: [del(key), ...planned.ops],
      }));
      if (!outcome.ok) throw refusal(outcome.code);
      closeVoided(billing, outcome.facts);
      return true;
    });
  }
}

/** A voided invoice's live payment attempt is closed at the channel too. */
function closeVoided(billing: BillingService, facts: ReadonlyArray<{ type: string }>): void {
  for (const fact of facts) {
    if (fact.type === "invoice.voided")
      billing.closeOpenAttempt((fact as { invoiceId?: string }).invoiceId ?? "");
  }
}

/**
 * A subscription ending within an unpaid invoice's grace (an upgrade just before the period end):
 * that grace's timer will find it canceled and do nothing, so dunning is set when it ends, to write
 * the invoice off if it runs out unpaid, as for an invoice that lapsed before the end.
 */
function dunningOfEndedInGrace(
  billing: BillingService,
  ref: BillingRef,
  sub: EntityState<SubscriptionContext>,
): IndexOp[] {
  const { subscriptionId, unpaidInvoiceId, graceEndsAt } = sub.context;
  if (sub.value !== "active" || unpaidInvoiceId === null || graceEndsAt === null) return [];
  const timer = { kind: "dunning", subscriptionId, invoiceId: unpaidInvoiceId } as const;
  return [put(billing.timerKey(ref, graceEndsAt + billing.dunningMs, timer), ref)];
}

/** An open invoice of nothing but an upgrade's proration lines. */
function isUnpaidProration(invoice: EntityState<InvoiceContext>): boolean {
  const { lines } = invoice.context;
  return invoice.value === "open" && lines.length > 0 && lines.every((line) => line.kind === "proration");
}

/** Whether a renew timer firing at `at` still has a period to end (else it is stale). */
function renewalDue(state: EntityState<SubscriptionContext>, at: number): boolean {
  return (state.value === "active" || state.value === "past_due") && at >= state.context.currentPeriodEnd;
}

/** The subscription or purchase a timer acts on (a finalization: its invoice). */
function ownerOf(timer: BillingTimer): string {
  if (timer.kind === "finalize") return timer.invoiceId;
  if (timer.kind === "reservation") return timer.reservationId;
  if (timer.kind === "purchase_expiry") return timer.purchaseId;
  return timer.subscriptionId;
}

/** The timer a key names: `x!bt!<clock>!<due>!<kind>!<id…>`. */
function timerOf(key: string): BillingTimer {
  const [, , , , kind, first = "", second = ""] = key.split("!");
  switch (kind) {
    case "finalize":
      return { kind, invoiceId: first };
    case "renew":
      return { kind, subscriptionId: first };
    case "grace":
    case "dunning":
    case "incomplete":
      return { kind, subscriptionId: first, invoiceId: second };
    case "purchase_expiry":
      return { kind, purchaseId: first, invoiceId: second };
    case "reservation":
      return { kind, reservationId: first };
    default:
      throw new Error(`unknown billing timer ${key}`);
  }
}
