import { describe, expect, it } from "vitest";
import { toLoggable } from "../domain/bigintJson.js";
import {
  subscriptionGrantsAccess,
  subscriptionKind,
  type SubscriptionCommand,
  type SubscriptionContext,
  type SubscriptionFact,
} from "../machines/index.js";
import type { EntityState } from "../machines/kind.js";
import { scenario } from "./support/kindGiven.js";
import { refusalOf } from "./support/kindRefusal.js";

const { given, when } = scenario(subscriptionKind);
const refusal = refusalOf(subscriptionKind);

// One period is 30 000 ms from the anchor at 1 000; grace is 5 000 ms past a period's start.
const create = (overrides: Partial<Extract<SubscriptionCommand, { type: "subscription.create" }>> = {}) =>
  ({
    type: "subscription.create",
    subscriptionId: "sub_1",
    customerId: "cus_1",
    productId: "prod_1",
    priceId: "price_pro",
    amountFen: 9_900n,
    periodEnd: 31_000,
    invoiceId: "inv_1",
    at: 1_000,
    ...overrides,
  }) satisfies SubscriptionCommand;
const payInvoice = (invoiceId: string, at = 2_000): SubscriptionCommand => ({
  type: "subscription.pay_invoice",
  invoiceId,
  at,
});
const renew = (
  overrides: Partial<Extract<SubscriptionCommand, { type: "subscription.renew" }>> = {},
): SubscriptionCommand => ({
  type: "subscription.renew",
  invoiceId: "inv_2",
  periodEnd: 61_000,
  graceEndsAt: 36_000,
  creditAppliedFen: 0n,
  invoicePaid: false,
  at: 31_000,
  ...overrides,
});
const lapse = (invoiceId = "inv_2", at = 36_000): SubscriptionCommand => ({
  type: "subscription.lapse",
  invoiceId,
  at,
});
const changeNow = (
  priceId: string,
  amountFen: bigint,
  creditFen: bigint,
  invoiceId: string | null,
  at = 10_000,
): SubscriptionCommand => ({
  type: "subscription.change_price",
  timing: "immediately",
  priceId,
  amountFen,
  creditFen,
  invoiceId,
  at,
});
const changeAtPeriodEnd = (priceId: string, amountFen: bigint, at = 10_000): SubscriptionCommand => ({
  type: "subscription.change_price",
  timing: "period_end",
  priceId,
  amountFen,
  at,
});
const cancelNow = (at = 10_000, reason: "requested" | "unpaid" = "requested"): SubscriptionCommand => ({
  type: "subscription.cancel",
  mode: "immediately",
  reason,
  at,
});
const cancelAtPeriodEnd = (at = 10_000): SubscriptionCommand => ({
  type: "subscription.cancel",
  mode: "period_end",
  at,
});
const resume = (at = 11_000): SubscriptionCommand => ({ type: "subscription.resume", at });
const end = (at = 31_000): SubscriptionCommand => ({ type: "subscription.end", at });
const expireIncomplete = (at = 90_000): SubscriptionCommand => ({
  type: "subscription.expire_incomplete",
  at,
});

const incomplete = () => given(create());
const active = () => given(create(), payInvoice("inv_1"));
/** Renewed into period 1 at 31 000 with inv_2 unpaid until the grace ends at 36 000. */
const renewedUnpaid = () => given(create(), payInvoice("inv_1"), renew());
const pastDue = () => given(create(), payInvoice("inv_1"), renew(), lapse());
const canceled = () => given(create(), cancelNow(5_000));

function accepted(result: ReturnType<typeof when>): {
  state: EntityState<SubscriptionContext>;
  fact: SubscriptionFact;
} {
  if (!result.ok) throw new Error(`refused with ${result.code}`);
  return result;
}

const everyCommand: SubscriptionCommand[] = [
  create(),
  payInvoice("inv_1"),
  renew(),
  lapse(),
  changeNow("price_max", 19_900n, 0n, "inv_up"),
  changeAtPeriodEnd("price_basic", 4_900n),
  cancelNow(),
  cancelAtPeriodEnd(),
  resume(),
  end(),
  expireIncomplete(),
];

describe("subscription machine: create", () => {
  it("given nothing, when created, then incomplete with its first period and the invoice unpaid", () => {
    const { state, fact } = accepted(when(given(), create()));
    expect(state.value).toBe("incomplete");
    expect(state.context).toMatchObject({
      anchorAt: 1_000,
      periodIndex: 0,
      currentPeriodStart: 1_000,
      currentPeriodEnd: 31_000,
      latestInvoiceId: "inv_1",
      unpaidInvoiceId: "inv_1",
      graceEndsAt: null,
      creditFen: 0n,
      cancelAtPeriodEnd: false,
    });
    expect(fact).toEqual({
      type: "subscription.created",
      subscriptionId: "sub_1",
      customerId: "cus_1",
      productId: "prod_1",
      priceId: "price_pro",
      amountFen: "9900",
      status: "incomplete",
      periodIndex: 0,
      currentPeriodStart: 1_000,
      currentPeriodEnd: 31_000,
      invoiceId: "inv_1",
    });
  });

  it("given nothing, when created with no amount or a period ending at its start, then refused", () => {
    expect(refusal(given(), create({ amountFen: 0n }))).toBe("invalid_amount");
    expect(refusal(given(), create({ amountFen: -1n }))).toBe("invalid_amount");
    expect(refusal(given(), create({ periodEnd: 1_000 }))).toBe("invalid_period");
  });

  it("given nothing, when any other command arrives, then subscription_not_found", () => {
    for (const command of everyCommand.slice(1)) {
      expect(refusal(given(), command)).toBe("subscription_not_found");
    }
  });

  it("given a subscription in any state, when created again, then subscription_exists", () => {
    for (const state of [incomplete(), active(), pastDue(), canceled()]) {
      expect(refusal(state, create())).toBe("subscription_exists");
    }
  });
});

describe("subscription machine: paying invoices", () => {
  it("given an incomplete subscription, when its first invoice is paid, then active", () => {
    const { state, fact } = accepted(when(incomplete(), payInvoice("inv_1")));
    expect(state.value).toBe("active");
    expect(state.context).toMatchObject({ unpaidInvoiceId: null, graceEndsAt: null });
    expect(fact).toMatchObject({
      type: "subscription.invoice_paid",
      invoiceId: "inv_1",
      activated: true,
      status: "active",
    });
  });

  it("given an incomplete subscription, when another of its invoices is paid, then recorded and still incomplete", () => {
    const { state, fact } = accepted(when(incomplete(), payInvoice("inv_other")));
    expect(state).toEqual(incomplete());
    expect(fact).toMatchObject({ type: "subscription.invoice_paid", activated: false, status: "incomplete" });
  });

  it("given a renewal inside its grace, when its invoice is paid, then still active and nothing is owed", () => {
    const { state, fact } = accepted(when(renewedUnpaid(), payInvoice("inv_2", 33_000)));
    expect(state.value).toBe("active");
    expect(state.context).toMatchObject({ unpaidInvoiceId: null, graceEndsAt: null });
    expect(fact).toMatchObject({ activated: false, status: "active" });
  });

  it("given a past-due subscription, when the unpaid invoice is paid, then active again", () => {
    const { state, fact } = accepted(when(pastDue(), payInvoice("inv_2", 40_000)));
    expect(state.value).toBe("active");
    expect(state.context).toMatchObject({ unpaidInvoiceId: null, graceEndsAt: null });
    expect(fact).toMatchObject({ activated: true, status: "active" });
  });

  it("given a past-due subscription, when another invoice is paid, then recorded and still past due", () => {
    const { state, fact } = accepted(when(pastDue(), payInvoice("inv_up", 40_000)));
    expect(state).toEqual(pastDue());
    expect(fact).toMatchObject({ activated: false, status: "past_due" });
  });

  it("given a canceled subscription, when an open invoice is paid, then recorded and still canceled", () => {
    const { state, fact } = accepted(when(canceled(), payInvoice("inv_1", 6_000)));
    expect(state.value).toBe("canceled");
    expect(state.context.unpaidInvoiceId).toBeNull();
    expect(fact).toMatchObject({ type: "subscription.invoice_paid", activated: false, status: "canceled" });
  });
});

describe("subscription machine: renew", () => {
  it("given an active subscription at its period end, when renewed, then the next period with its invoice unpaid", () => {
    const { state, fact } = accepted(when(active(), renew()));
    expect(state.value).toBe("active");
    expect(state.context).toMatchObject({
      anchorAt: 1_000,
      periodIndex: 1,
      currentPeriodStart: 31_000,
      currentPeriodEnd: 61_000,
      latestInvoiceId: "inv_2",
      unpaidInvoiceId: "inv_2",
      graceEndsAt: 36_000,
    });
    expect(fact).toEqual({
      type: "subscription.renewed",
      subscriptionId: "sub_1",
      customerId: "cus_1",
      productId: "prod_1",
      priceId: "price_pro",
      amountFen: "9900",
      status: "active",
      periodIndex: 1,
      currentPeriodStart: 31_000,
      currentPeriodEnd: 61_000,
      invoiceId: "inv_2",
      invoicePaid: false,
      graceEndsAt: 36_000,
      creditAppliedFen: "0",
      creditBalanceFen: "0",
      priceChanged: false,
    });
  });

  it("given a scheduled downgrade, when renewed, then the new price applies and nothing is pending", () => {
    const { state, fact } = accepted(
      when(given(create(), payInvoice("inv_1"), changeAtPeriodEnd("price_basic", 4_900n)), renew()),
    );
    expect(state.context).toMatchObject({ priceId: "price_basic", amountFen: 4_900n, pendingChange: null });
    expect(fact).toMatchObject({ priceId: "price_basic", amountFen: "4900", priceChanged: true });
  });

  it("given credit that covers the renewal, when renewed as paid, then the credit is spent and nothing is owed", () => {
    const credited = given(create(), payInvoice("inv_1"), changeNow("price_basic", 4_900n, 12_000n, null));
    const { state, fact } = accepted(when(credited, renew({ creditAppliedFen: 4_900n, invoicePaid: true })));
    expect(state.value).toBe("active");
    expect(state.context).toMatchObject({
      creditFen: 7_100n,
      latestInvoiceId: "inv_2",
      unpaidInvoiceId: null,
      graceEndsAt: null,
    });
    expect(fact).toMatchObject({
      invoicePaid: true,
      graceEndsAt: null,
      creditAppliedFen: "4900",
      creditBalanceFen: "7100",
    });
  });

  it("given a past-due subscription, when renewed, then still past due and the new invoice is the one owed", () => {
    const { state } = accepted(
      when(pastDue(), renew({ invoiceId: "inv_3", periodEnd: 91_000, graceEndsAt: 66_000, at: 61_000 })),
    );
    expect(state.value).toBe("past_due");
    expect(state.context).toMatchObject({ periodIndex: 2, unpaidInvoiceId: "inv_3", graceEndsAt: 66_000 });
  });

  it("given an active subscription, when renewed early, into an empty period or with credit it lacks, then refused", () => {
    expect(refusal(active(), renew({ at: 30_999 }))).toBe("period_not_ended");
    expect(refusal(active(), renew({ periodEnd: 31_000 }))).toBe("invalid_period");
    expect(refusal(active(), renew({ creditAppliedFen: 1n }))).toBe("invalid_credit");
    expect(refusal(active(), renew({ creditAppliedFen: -1n }))).toBe("invalid_credit");
  });

  it("given a cancellation at period end, when renewed, then cancel_scheduled", () => {
    expect(refusal(given(create(), payInvoice("inv_1"), cancelAtPeriodEnd()), renew())).toBe(
      "cancel_scheduled",
    );
  });

  it("given an incomplete or canceled subscription, when renewed, then subscription_not_renewable", () => {
    expect(refusal(incomplete(), renew())).toBe("subscription_not_renewable");
    expect(refusal(canceled(), renew())).toBe("subscription_not_renewable");
  });
});

describe("subscription machine: lapse", () => {
  it("given a renewal unpaid when its grace ends, when lapsed, then past due", () => {
    const { state, fact } = accepted(when(renewedUnpaid(), lapse()));
    expect(state.value).toBe("past_due");
    expect(fact).toMatchObject({
      type: "subscription.past_due",
      invoiceId: "inv_2",
      graceEndsAt: 36_000,
      status: "past_due",
    });
  });

  it("given a renewal inside its grace, paid, or lapsed for another invoice, then not_lapsed", () => {
    expect(refusal(renewedUnpaid(), lapse("inv_2", 35_999))).toBe("not_lapsed");
    expect(refusal(renewedUnpaid(), lapse("inv_1"))).toBe("not_lapsed");
    expect(refusal(given(create(), payInvoice("inv_1"), renew(), payInvoice("inv_2", 33_000)), lapse())).toBe(
      "not_lapsed",
    );
  });

  it("given a subscription not active, when lapsed, then refused by its state", () => {
    expect(refusal(pastDue(), lapse())).toBe("already_past_due");
    expect(refusal(incomplete(), lapse("inv_1"))).toBe("subscription_not_active");
    expect(refusal(canceled(), lapse("inv_1"))).toBe("subscription_canceled");
  });
});

describe("subscription machine: change price", () => {
  it("given an active subscription, when upgraded now with a proration invoice, then the new price and that latest invoice", () => {
    const { state, fact } = accepted(when(active(), changeNow("price_max", 19_900n, 0n, "inv_up")));
    expect(state.value).toBe("active");
    // A proration invoice is not the cycle invoice: leaving it unpaid never makes the subscription past due.
    expect(state.context).toMatchObject({
      priceId: "price_max",
      amountFen: 19_900n,
      latestInvoiceId: "inv_up",
      unpaidInvoiceId: null,
      creditFen: 0n,
    });
    expect(fact).toEqual({
      type: "subscription.price_changed",
      subscriptionId: "sub_1",
      customerId: "cus_1",
      productId: "prod_1",
      priceId: "price_max",
      amountFen: "19900",
      status: "active",
      timing: "immediately",
      fromPriceId: "price_pro",
      fromAmountFen: "9900",
      toPriceId: "price_max",
      toAmountFen: "19900",
      creditFen: "0",
      creditBalanceFen: "0",
      invoiceId: "inv_up",
    });
  });

  it("given an active subscription, when downgraded now, then the unused time is credited", () => {
    const { state, fact } = accepted(when(active(), changeNow("price_basic", 4_900n, 3_000n, null)));
    expect(state.context).toMatchObject({
      priceId: "price_basic",
      creditFen: 3_000n,
      latestInvoiceId: "inv_1",
    });
    expect(fact).toMatchObject({ creditFen: "3000", creditBalanceFen: "3000", invoiceId: null });
  });

  it("given an active subscription, when a change is scheduled for the period end, then only the pending change is set", () => {
    const { state, fact } = accepted(when(active(), changeAtPeriodEnd("price_basic", 4_900n)));
    expect(state.context).toEqual({
      ...active().context,
      pendingChange: { priceId: "price_basic", amountFen: 4_900n },
    });
    expect(fact).toMatchObject({
      priceId: "price_pro",
      timing: "period_end",
      toPriceId: "price_basic",
      creditFen: "0",
      invoiceId: null,
    });
  });

  it("given a scheduled change, when the price changes now, then the scheduled change is dropped", () => {
    const scheduled = given(create(), payInvoice("inv_1"), changeAtPeriodEnd("price_basic", 4_900n));
    const { state } = accepted(when(scheduled, changeNow("price_max", 19_900n, 0n, "inv_up")));
    expect(state.context.pendingChange).toBeNull();
  });

  it("given a past-due subscription, when the price changes, then accepted and still past due", () => {
    const { state } = accepted(when(pastDue(), changeNow("price_basic", 4_900n, 0n, null, 40_000)));
    expect(state.value).toBe("past_due");
  });

  it("given an active subscription, when changed to its own price, to no amount or with negative credit, then refused", () => {
    expect(refusal(active(), changeNow("price_pro", 9_900n, 0n, null))).toBe("same_price");
    expect(refusal(active(), changeAtPeriodEnd("price_pro", 9_900n))).toBe("same_price");
    expect(refusal(active(), changeNow("price_free", 0n, 0n, null))).toBe("invalid_amount");
    expect(refusal(active(), changeNow("price_basic", 4_900n, -1n, null))).toBe("invalid_credit");
  });

  it("given an incomplete or canceled subscription, when the price changes, then refused by its state", () => {
    expect(refusal(incomplete(), changeNow("price_max", 19_900n, 0n, "inv_up"))).toBe(
      "subscription_not_active",
    );
    expect(refusal(canceled(), changeAtPeriodEnd("price_basic", 4_900n))).toBe("subscription_canceled");
  });
});

describe("subscription machine: cancel, resume and end", () => {
  it("given an incomplete, active or past-due subscription, when canceled now, then canceled with the reason", () => {
    for (const state of [incomplete(), active(), pastDue()]) {
      const { state: after, fact } = accepted(when(state, cancelNow(40_000, "unpaid")));
      expect(after.value).toBe("canceled");
      expect(after.context).toMatchObject({ canceledAt: 40_000, cancelReason: "unpaid" });
      expect(fact).toMatchObject({
        type: "subscription.canceled",
        status: "canceled",
        cancelReason: "unpaid",
        canceledAt: 40_000,
      });
    }
  });

  it("given an active subscription, when canceled at period end, then scheduled and still active", () => {
    const { state, fact } = accepted(when(active(), cancelAtPeriodEnd()));
    expect(state.value).toBe("active");
    expect(state.context.cancelAtPeriodEnd).toBe(true);
    expect(fact).toMatchObject({
      type: "subscription.cancel_scheduled",
      status: "active",
      currentPeriodEnd: 31_000,
    });
    expect(refusal(state, cancelAtPeriodEnd())).toBe("cancel_scheduled");
  });

  it("given an incomplete subscription, when canceled at period end, then subscription_not_active", () => {
    expect(refusal(incomplete(), cancelAtPeriodEnd())).toBe("subscription_not_active");
  });

  it("given a canceled subscription, when canceled, resumed, ended or expired, then subscription_canceled", () => {
    for (const command of [cancelNow(), cancelAtPeriodEnd(), resume(), end(), expireIncomplete()]) {
      expect(refusal(canceled(), command)).toBe("subscription_canceled");
    }
  });

  it("given a scheduled cancellation, when resumed before the period ends, then it will renew again", () => {
    const { state, fact } = accepted(
      when(given(create(), payInvoice("inv_1"), cancelAtPeriodEnd()), resume()),
    );
    expect(state.value).toBe("active");
    expect(state.context.cancelAtPeriodEnd).toBe(false);
    expect(fact).toMatchObject({ type: "subscription.resumed", status: "active" });
  });

  it("given no scheduled cancellation or a period already ended, when resumed, then refused", () => {
    expect(refusal(active(), resume())).toBe("not_scheduled_to_cancel");
    expect(refusal(incomplete(), resume())).toBe("not_scheduled_to_cancel");
    expect(refusal(given(create(), payInvoice("inv_1"), cancelAtPeriodEnd()), resume(31_000))).toBe(
      "period_ended",
    );
  });

  it("given a scheduled cancellation, when ended at the period end, then canceled as requested", () => {
    const { state, fact } = accepted(when(given(create(), payInvoice("inv_1"), cancelAtPeriodEnd()), end()));
    expect(state.value).toBe("canceled");
    expect(fact).toMatchObject({
      type: "subscription.canceled",
      status: "canceled",
      cancelReason: "requested",
      canceledAt: 31_000,
    });
  });

  it("given no scheduled cancellation or a period still running, when ended, then refused", () => {
    expect(refusal(active(), end())).toBe("cancel_not_scheduled");
    expect(refusal(incomplete(), end())).toBe("cancel_not_scheduled");
    expect(refusal(given(create(), payInvoice("inv_1"), cancelAtPeriodEnd()), end(30_999))).toBe(
      "period_not_ended",
    );
  });

  it("given an incomplete subscription, when expired, then canceled as incomplete_expired", () => {
    const { state, fact } = accepted(when(incomplete(), expireIncomplete()));
    expect(state.value).toBe("canceled");
    expect(fact).toMatchObject({ type: "subscription.canceled", cancelReason: "incomplete_expired" });
  });

  it("given an active or past-due subscription, when expired as incomplete, then subscription_not_incomplete", () => {
    expect(refusal(active(), expireIncomplete())).toBe("subscription_not_incomplete");
    expect(refusal(pastDue(), expireIncomplete())).toBe("subscription_not_incomplete");
  });
});

describe("subscription machine: an upgrade's proration is owed", () => {
  const owedUpgrade = (at = 10_000) =>
    ({
      ...changeNow("price_max", 19_900n, 0n, "inv_up", at),
      graceEndsAt: at + 5_000,
    }) as SubscriptionCommand;

  it("given an active subscription, when upgraded with a grace, then the proration is the invoice owed", () => {
    const { state, fact } = accepted(when(active(), owedUpgrade()));
    expect(state.context).toMatchObject({
      latestInvoiceId: "inv_up",
      unpaidInvoiceId: "inv_up",
      graceEndsAt: 15_000,
    });
    expect(fact).toMatchObject({
      type: "subscription.price_changed",
      invoiceId: "inv_up",
      graceEndsAt: 15_000,
    });
  });

  it("given an owed proration, when its grace ends unpaid, then past due; when paid first, then nothing is owed", () => {
    const owed = given(create(), payInvoice("inv_1"), owedUpgrade());
    expect(accepted(when(owed, lapse("inv_up", 15_000))).state.value).toBe("past_due");
    const paid = accepted(when(owed, payInvoice("inv_up", 12_000))).state;
    expect(paid.context).toMatchObject({ unpaidInvoiceId: null, graceEndsAt: null });
    expect(refusal(paid, lapse("inv_up", 15_000))).toBe("not_lapsed");
  });

  it("given an unpaid renewal, when an owed proration is proposed, then invoice_unpaid and nothing changes", () => {
    expect(refusal(renewedUnpaid(), owedUpgrade(32_000))).toBe("invoice_unpaid");
  });

  it("given an unpaid renewal, when a downgrade would credit unused time, then invoice_unpaid: that time was not paid", () => {
    const downgrade = {
      ...changeNow("price_basic", 4_900n, 3_000n, null, 32_000),
      whilePaidUp: true,
    } as SubscriptionCommand;
    expect(refusal(renewedUnpaid(), downgrade)).toBe("invoice_unpaid");
    expect(accepted(when(active(), downgrade)).state.context.creditFen).toBe(3_000n);
    // Recorded before the machine checked it: replayed as it was decided then.
    const { whilePaidUp: _, ...recorded } = downgrade as { whilePaidUp?: true };
    expect(accepted(when(renewedUnpaid(), recorded as SubscriptionCommand)).state.context.creditFen).toBe(
      3_000n,
    );
  });

  it("given an upgrade recorded before prorations were owed (no grace), when replayed, then nothing is owed", () => {
    const { state, fact } = accepted(when(active(), changeNow("price_max", 19_900n, 0n, "inv_up")));
    expect(state.context).toMatchObject({ latestInvoiceId: "inv_up", unpaidInvoiceId: null });
    expect(fact).not.toHaveProperty("graceEndsAt");
  });
});

describe("subscription machine: credit when it ends", () => {
  /** Active, holding 12 000 fen of credit from an immediate downgrade. */
  const credited = () =>
    given(create(), payInvoice("inv_1"), changeNow("price_basic", 4_900n, 12_000n, null));
  const releasing = (command: SubscriptionCommand, creditReleasedFen: bigint) =>
    ({ ...command, creditReleasedFen }) as SubscriptionCommand;

  it("given held credit, when canceled at once releasing all of it, then none is left and the fact says how much", () => {
    const { state, fact } = accepted(when(credited(), releasing(cancelNow(), 12_000n)));
    expect(state.value).toBe("canceled");
    expect(state.context.creditFen).toBe(0n);
    expect(fact).toMatchObject({ type: "subscription.canceled", creditReleasedFen: "12000" });
  });

  it("given held credit and a scheduled cancel, when ended releasing all of it, then none is left", () => {
    const scheduled = given(
      create(),
      payInvoice("inv_1"),
      changeNow("price_basic", 4_900n, 12_000n, null),
      cancelAtPeriodEnd(11_000),
    );
    const { state, fact } = accepted(when(scheduled, releasing(end(), 12_000n)));
    expect(state.context.creditFen).toBe(0n);
    expect(fact).toMatchObject({ type: "subscription.canceled", creditReleasedFen: "12000" });
  });

  it("given held credit, when the release names another amount, then invalid_credit and nothing changes", () => {
    expect(refusal(credited(), releasing(cancelNow(), 11_999n))).toBe("invalid_credit");
    expect(refusal(credited(), releasing(cancelNow(), 12_001n))).toBe("invalid_credit");
    expect(refusal(active(), releasing(cancelNow(), 1n))).toBe("invalid_credit");
  });

  it("given a cancel recorded before credit moved (no release named), when replayed, then the credit stays as it did", () => {
    const { state, fact } = accepted(when(credited(), cancelNow()));
    expect(state.context.creditFen).toBe(12_000n);
    expect(fact).not.toHaveProperty("creditReleasedFen");
  });
});

describe("subscription access and records", () => {
  it("grants access while active or past due, and not before the first payment or after cancellation", () => {
    expect(subscriptionGrantsAccess(incomplete(), 2_000)).toBe(false);
    expect(subscriptionGrantsAccess(active(), 2_000)).toBe(true);
    expect(subscriptionGrantsAccess(pastDue(), 40_000)).toBe(true);
    expect(subscriptionGrantsAccess(canceled(), 6_000)).toBe(false);
  });

  it("grants access until the end of a period set to cancel, even before it is ended", () => {
    const ending = given(create(), payInvoice("inv_1"), cancelAtPeriodEnd());
    expect(subscriptionGrantsAccess(ending, 30_999)).toBe(true);
    expect(subscriptionGrantsAccess(ending, 31_000)).toBe(false);
  });

  it("keeps commands and context, bigint fen included, through their logged JSON form", () => {
    const state = given(create(), payInvoice("inv_1"), changeAtPeriodEnd("price_basic", 4_900n));
    const json = JSON.parse(JSON.stringify(subscriptionKind.contextToJson(state.context))) as unknown;
    expect(subscriptionKind.contextFromJson(json)).toEqual(state.context);
    const command = renew({ creditAppliedFen: 100n });
    expect(subscriptionKind.commandFromLog(JSON.parse(JSON.stringify(toLoggable(command))))).toEqual(command);
    expect(
      subscriptionKind.postingsOf(accepted(when(state, renew())).fact, {
        env: "test",
        merchantId: null,
        entityId: "subscription:sub_1",
      }),
    ).toEqual([]);
  });
});

describe("subscription lifecycle", () => {
  it("runs create → pay → downgrade at period end → renew ×2 → lapse → pay → cancel at period end → resume → cancel → end", () => {
    const steps: Array<[SubscriptionCommand, string, SubscriptionFact["type"]]> = [
      [create(), "incomplete", "subscription.created"],
      [payInvoice("inv_1"), "active", "subscription.invoice_paid"],
      [changeAtPeriodEnd("price_basic", 4_900n, 20_000), "active", "subscription.price_changed"],
      [renew(), "active", "subscription.renewed"],
      [payInvoice("inv_2", 32_000), "active", "subscription.invoice_paid"],
      [
        renew({ invoiceId: "inv_3", periodEnd: 91_000, graceEndsAt: 66_000, at: 61_000 }),
        "active",
        "subscription.renewed",
      ],
      [lapse("inv_3", 66_000), "past_due", "subscription.past_due"],
      [payInvoice("inv_3", 70_000), "active", "subscription.invoice_paid"],
      [cancelAtPeriodEnd(75_000), "active", "subscription.cancel_scheduled"],
      [resume(76_000), "active", "subscription.resumed"],
      [cancelAtPeriodEnd(80_000), "active", "subscription.cancel_scheduled"],
      [end(91_000), "canceled", "subscription.canceled"],
    ];
    let state = given();
    const facts: SubscriptionFact[] = [];
    for (const [command, value, factType] of steps) {
      const result = accepted(when(state, command));
      expect([command.type, result.state.value, result.fact.type]).toEqual([command.type, value, factType]);
      state = result.state;
      facts.push(result.fact);
    }
    expect(facts[3]).toMatchObject({
      priceId: "price_basic",
      amountFen: "4900",
      priceChanged: true,
      periodIndex: 1,
    });
    expect(facts[5]).toMatchObject({
      priceId: "price_basic",
      priceChanged: false,
      periodIndex: 2,
      invoiceId: "inv_3",
    });
    expect(facts[7]).toMatchObject({ activated: true });
    expect(state.context).toMatchObject({
      anchorAt: 1_000,
      periodIndex: 2,
      currentPeriodStart: 61_000,
      currentPeriodEnd: 91_000,
      priceId: "price_basic",
      latestInvoiceId: "inv_3",
      unpaidInvoiceId: null,
      canceledAt: 91_000,
      cancelReason: "requested",
    });
    // Canceled is final: only money for an open invoice is still recorded.
    const stillRecorded = everyCommand.filter((command) => refusal(state, command) === "accepted");
    expect(stillRecorded.map((command) => command.type)).toEqual(["subscription.pay_invoice"]);
  });
});
