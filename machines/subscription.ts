import { and, assign, not, setup } from "xstate";
import type { EntityState } from "./kind.js";
import type {
  SubscriptionCommand,
  SubscriptionContext,
  SubscriptionRejection,
  SubscriptionStatus,
} from "./subscriptionTypes.js";

/**
 * A subscription to one product at one price, billed per period from its anchor. `incomplete`
 * (first invoice unpaid) → `active` → `past_due` (a renewal unpaid after its grace) → `canceled`.
 * Only the latest cycle invoice can make it past due: an upgrade's proration invoice is collected
 * like any invoice, and leaving it unpaid changes nothing here.
 * Pure: ids, prices, period ends, grace and credit arrive inside commands; a refusal is one
 * `reject` marker.
 */
export const subscriptionMachineVersion = 1;

/** A new subscription's context: the machine's initial state and the kind's. */
export function initialSubscriptionContext(): SubscriptionContext {
  return {
    subscriptionId: "",
    customerId: "",
    productId: "",
    priceId: "",
    amountFen: 0n,
    status: "new",
    anchorAt: 0,
    periodIndex: 0,
    currentPeriodStart: 0,
    currentPeriodEnd: 0,
    latestInvoiceId: "",
    unpaidInvoiceId: null,
    graceEndsAt: null,
    pendingChange: null,
    cancelAtPeriodEnd: false,
    creditFen: 0n,
    createdAt: 0,
    canceledAt: null,
    cancelReason: null,
  };
}

/**
 * Whether the customer may use the product now: while active or past due, until the end of a
 * period that is set to cancel (even before `subscription.end` has been run).
 */
export function subscriptionGrantsAccess(state: EntityState<SubscriptionContext>, atMs: number): boolean {
  if (state.value !== "active" && state.value !== "past_due") return false;
  return !(state.context.cancelAtPeriodEnd && atMs >= state.context.currentPeriodEnd);
}

const reject = (code: SubscriptionRejection) => ({ type: "reject", params: { code } }) as const;
const entered = (status: SubscriptionStatus) => ({ type: "setStatus", params: { status } }) as const;

export const subscriptionMachine = setup({
  types: { context: {} as SubscriptionContext, events: {} as SubscriptionCommand },
  actions: {
    // A marker read from transition()'s action list; it never runs.
    reject: (_, _params: { code: SubscriptionRejection }) => {},
    setStatus: assign((_, params: { status: SubscriptionStatus }) => ({ status: params.status })),
    create: assign(({ event }) =>
      event.type === "subscription.create"
        ? {
            subscriptionId: event.subscriptionId,
            customerId: event.customerId,
            productId: event.productId,
            priceId: event.priceId,
            amountFen: event.amountFen,
            anchorAt: event.at,
            currentPeriodStart: event.at,
            currentPeriodEnd: event.periodEnd,
            latestInvoiceId: event.invoiceId,
            unpaidInvoiceId: event.invoiceId,
            createdAt: event.at,
          }
        : {},
    ),
    settleUnpaid: assign({ unpaidInvoiceId: null, graceEndsAt: null }),
    renew: assign(({ context, event }) => {
      if (event.type !== "subscription.renew") return {};
      const price = context.pendingChange ?? { priceId: context.priceId, amountFen: context.amountFen };
      return {
        periodIndex: context.periodIndex + 1,
        currentPeriodStart: context.currentPeriodEnd,
        currentPeriodEnd: event.periodEnd,
        priceId: price.priceId,
        amountFen: price.amountFen,
        pendingChange: null,
        creditFen: context.creditFen - event.creditAppliedFen,
        latestInvoiceId: event.invoiceId,
        // A renewal covered by credit leaves what is owed as it was.
        ...(event.invoicePaid ? {} : { unpaidInvoiceId: event.invoiceId, graceEndsAt: event.graceEndsAt }),
      };
    }),
    changePriceNow: assign(({ context, event }) =>
      event.type === "subscription.change_price" && event.timing === "immediately"
        ? {
            priceId: event.priceId,
            amountFen: event.amountFen,
            pendingChange: null,
            creditFen: context.creditFen + event.creditFen,
            ...(event.invoiceId !== null ? { latestInvoiceId: event.invoiceId } : {}),
            ...(event.invoiceId !== null && event.graceEndsAt !== undefined
              ? { unpaidInvoiceId: event.invoiceId, graceEndsAt: event.graceEndsAt }
              : {}),
          }
        : {},
    ),
    schedulePriceChange: assign(({ event }) =>
      event.type === "subscription.change_price"
        ? { pendingChange: { priceId: event.priceId, amountFen: event.amountFen } }
        : {},
    ),
    cancelNow: assign(({ context, event }) =>
      event.type === "subscription.cancel" && event.mode === "immediately"
        ? {
            canceledAt: event.at,
            cancelReason: event.reason,
            creditFen: context.creditFen - (event.creditReleasedFen ?? 0n),
          }
        : {},
    ),
    scheduleCancel: assign({ cancelAtPeriodEnd: true }),
    resume: assign({ cancelAtPeriodEnd: false }),
    endAtPeriodEnd: assign(({ context, event }) => ({
      canceledAt: event.at,
      cancelReason: "requested" as const,
      creditFen:
        context.creditFen - (event.type === "subscription.end" ? (event.creditReleasedFen ?? 0n) : 0n),
    })),
    expire: assign(({ event }) => ({ canceledAt: event.at, cancelReason: "incomplete_expired" as const })),
  },
  guards: {
    hasPositiveAmount: ({ event }) =>
      (event.type === "subscription.create" || event.type === "subscription.change_price") &&
      event.amountFen > 0n,
    hasFirstPeriod: ({ event }) => event.type === "subscription.create" && event.periodEnd > event.at,
    paysUnpaidInvoice: ({ context, event }) =>
      event.type === "subscription.pay_invoice" && event.invoiceId === context.unpaidInvoiceId,
    periodHasEnded: ({ context, event }) => event.at >= context.currentPeriodEnd,
    hasNextPeriod: ({ context, event }) =>
      event.type === "subscription.renew" && event.periodEnd > context.currentPeriodEnd,
    appliesHeldCredit: ({ context, event }) =>
      event.type === "subscription.renew" &&
      event.creditAppliedFen >= 0n &&
      event.creditAppliedFen <= context.creditFen,
    isGraceOver: ({ context, event }) =>
      event.type === "subscription.lapse" &&
      event.invoiceId === context.unpaidInvoiceId &&
      context.graceEndsAt !== null &&
      event.at >= context.graceEndsAt,
    isSamePrice: ({ context, event }) =>
      event.type === "subscription.change_price" && event.priceId === context.priceId,
    hasValidChangeCredit: ({ event }) =>
      event.type === "subscription.change_price" && (event.timing === "period_end" || event.creditFen >= 0n),
    changesImmediately: ({ event }) =>
      event.type === "subscription.change_price" && event.timing === "immediately",
    // One invoice is owed at a time (a proration is not invoiced over an unpaid one), and no credit
    // is given for time not paid.
    owesOverUnpaid: ({ context, event }) =>
      event.type === "subscription.change_price" &&
      event.timing === "immediately" &&
      (event.graceEndsAt !== undefined || event.whilePaidUp === true) &&
      context.unpaidInvoiceId !== null,
    cancelsImmediately: ({ event }) => event.type === "subscription.cancel" && event.mode === "immediately",
    // Credit leaves whole or not at all: none may be left behind on an ended subscription.
    releasesAllCredit: ({ context, event }) => {
      const released = "creditReleasedFen" in event ? event.creditReleasedFen : undefined;
      return released === undefined || released === context.creditFen;
    },
    isCancelScheduled: ({ context }) => context.cancelAtPeriodEnd,
  },
}).createMachine({
  id: "subscription",
  context: () => initialSubscriptionContext(),
  initial: "new",
  on: {
    "subscription.create": { actions: reject("subscription_exists") },
  },
  states: {
    new: {
      on: {
        "subscription.create": [
          { guard: not("hasPositiveAmount"), actions: reject("invalid_amount") },
          { guard: not("hasFirstPeriod"), actions: reject("invalid_period") },
          { target: "incomplete", actions: "create" },
        ],
        "subscription.pay_invoice": { actions: reject("subscription_not_found") },
        "subscription.renew": { actions: reject("subscription_not_found") },
        "subscription.lapse": { actions: reject("subscription_not_found") },
        "subscription.change_price": { actions: reject("subscription_not_found") },
        "subscription.cancel": { actions: reject("subscription_not_found") },
        "subscription.resume": { actions: reject("subscription_not_found") },
        "subscription.end": { actions: reject("subscription_not_found") },
        "subscription.expire_incomplete": { actions: reject("subscription_not_found") },
      },
    },
    incomplete: {
      entry: entered("incomplete"),
      on: {
        "subscription.pay_invoice": [
          { guard: "paysUnpaidInvoice", target: "active", actions: "settleUnpaid" },
          // Another invoice of this subscription: its payment is recorded, the state stays.
          {},
        ],
        "subscription.renew": { actions: reject("subscription_not_renewable") },
        "subscription.lapse": { actions: reject("subscription_not_active") },
        "subscription.change_price": { actions: reject("subscription_not_active") },
        "subscription.cancel": [
          { guard: not("cancelsImmediately"), actions: reject("subscription_not_active") },
          { guard: not("releasesAllCredit"), actions: reject("invalid_credit") },
          { target: "canceled", actions: "cancelNow" },
        ],
        "subscription.resume": { actions: reject("not_scheduled_to_cancel") },
        "subscription.end": { actions: reject("cancel_not_scheduled") },
        "subscription.expire_incomplete": { target: "canceled", actions: "expire" },
      },
    },
    active: {
      entry: entered("active"),
      on: {
        ...runningHandlers(),
        "subscription.pay_invoice": [{ guard: "paysUnpaidInvoice", actions: "settleUnpaid" }, {}],
        "subscription.lapse": [
          { guard: "isGraceOver", target: "past_due" },
          { actions: reject("not_lapsed") },
        ],
      },
    },
    past_due: {
      entry: entered("past_due"),
      on: {
        ...runningHandlers(),
        "subscription.pay_invoice": [
          { guard: "paysUnpaidInvoice", target: "active", actions: "settleUnpaid" },
          {},
        ],
        "subscription.lapse": { actions: reject("already_past_due") },
      },
    },
    canceled: {
      entry: entered("canceled"),
      on: {
        // Money may still arrive for an open invoice; it is recorded, the subscription stays canceled.
        "subscription.pay_invoice": [{ guard: "paysUnpaidInvoice", actions: "settleUnpaid" }, {}],
        "subscription.renew": { actions: reject("subscription_not_renewable") },
        "subscription.lapse": { actions: reject("subscription_canceled") },
        "subscription.change_price": { actions: reject("subscription_canceled") },
        "subscription.cancel": { actions: reject("subscription_canceled") },
        "subscription.resume": { actions: reject("subscription_canceled") },
        "subscription.end": { actions: reject("subscription_canceled") },
        "subscription.expire_incomplete": { actions: reject("subscription_canceled") },
      },
    },
  },
});

/** Active or past due alike: renewals, price changes and cancellation. */
function runningHandlers() {
  return {
    "subscription.renew": [
      { guard: "isCancelScheduled", actions: reject("cancel_scheduled") },
      { guard: not("periodHasEnded"), actions: reject("period_not_ended") },
      { guard: not("hasNextPeriod"), actions: reject("invalid_period") },
      { guard: not("appliesHeldCredit"), actions: reject("invalid_credit") },
      { actions: "renew" },
    ],
    "subscription.change_price": [
      { guard: "isSamePrice", actions: reject("same_price") },
      { guard: not("hasPositiveAmount"), actions: reject("invalid_amount") },
      { guard: not("hasValidChangeCredit"), actions: reject("invalid_credit") },
      { guard: "owesOverUnpaid", actions: reject("invoice_unpaid") },
      { guard: "changesImmediately", actions: "changePriceNow" },
      { actions: "schedulePriceChange" },
    ],
    "subscription.cancel": [
      { guard: and(["cancelsImmediately", not("releasesAllCredit")]), actions: reject("invalid_credit") },
      { guard: "cancelsImmediately", target: "canceled", actions: "cancelNow" },
      { guard: "isCancelScheduled", actions: reject("cancel_scheduled") },
      { actions: "scheduleCancel" },
    ],
    "subscription.resume": [
      { guard: not("isCancelScheduled"), actions: reject("not_scheduled_to_cancel") },
      { guard: "periodHasEnded", actions: reject("period_ended") },
      { actions: "resume" },
    ],
    "subscription.end": [
      { guard: not("isCancelScheduled"), actions: reject("cancel_not_scheduled") },
      { guard: not("periodHasEnded"), actions: reject("period_not_ended") },
      { guard: not("releasesAllCredit"), actions: reject("invalid_credit") },
      { target: "canceled", actions: "endAtPeriodEnd" },
    ],
    "subscription.expire_incomplete": { actions: reject("subscription_not_incomplete") },
  } as const;
}
