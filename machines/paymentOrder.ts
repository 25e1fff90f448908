import { and, assign, not, setup } from "xstate";
import { providerOfChannel } from "../domain/collection.js";
import { heldFen, holdableFlagReasons, isHeldTransaction } from "./paymentOrderMoney.js";
import type {
  PaymentCommand,
  PaymentContext,
  PaymentRefund,
  PaymentRejection,
  PaymentSettlement,
} from "./paymentOrderTypes.js";

/**
 * One attempt to collect an invoice through a channel. `created` (recorded, the channel not yet
 * asked) → `pending` (the channel's order exists) → `succeeded` | `failed` | `closed`. A success
 * after the order ended is `paid_after_close`: recorded (never lost), not credited, to be refunded.
 * A verified success that cannot be applied (a wrong amount, a second transaction) is flagged and its
 * money held as unapplied, once per transaction (paymentOrderMoney.ts); an order never paid refunds
 * its held money from its ended state. Refunds are requested, then succeed or fail at the channel;
 * all of a paid order refunded is `refunded`.
 * Pure: time, ids and fee terms arrive inside commands; a refusal is one `reject` marker.
 */
export const paymentMachineVersion = 1;

const reject = (code: PaymentRejection) => ({ type: "reject", params: { code } }) as const;

const refundOf = (context: PaymentContext, event: PaymentCommand): PaymentRefund | undefined =>
  "refundId" in event && event.refundId !== null ? context.refunds[event.refundId] : undefined;

function withRefund(
  context: PaymentContext,
  id: string,
  change: Partial<PaymentRefund>,
): Record<string, PaymentRefund> {
  const refund = context.refunds[id];
  if (!refund) throw new Error(`refund ${id} is not known (a guard was skipped)`);
  return { ...context.refunds, [id]: { ...refund, ...change } };
}

export const paymentInitialContext: PaymentContext = {
  paymentId: "",
  invoiceId: "",
  customerId: "",
  channel: "wechat_native",
  provider: "wechatpay",
  amountFen: 0n,
  currency: "CNY",
  createdAt: 0,
  expiresAt: 0,
  channelFeeBps: 0,
  platformFeeBps: 0,
  action: null,
  transactionId: null,
  paidAt: null,
  payerId: null,
  settlement: null,
  refundedFen: 0n,
  refundingFen: 0n,
  refunds: {},
  endedAt: null,
  failure: null,
  flags: [],
};

export const paymentMachine = setup({
  types: { context: {} as PaymentContext, events: {} as PaymentCommand },
  actions: {
    // A marker read from transition()'s action list; it never runs.
    reject: (_, _params: { code: PaymentRejection }) => {},
    create: assign(({ event }) =>
      event.type === "payment.create"
        ? {
            paymentId: event.paymentId,
            invoiceId: event.invoiceId,
            customerId: event.customerId,
            channel: event.channel,
            provider: providerOfChannel(event.channel),
            amountFen: event.amountFen,
            currency: event.currency,
            createdAt: event.at,
            expiresAt: event.expiresAt,
            channelFeeBps: event.channelFeeBps,
            platformFeeBps: event.platformFeeBps,
          }
        : {},
    ),
    open: assign(({ event }) => (event.type === "payment.open" ? { action: event.action } : {})),
    settle: assign(({ event }, params: { settlement: PaymentSettlement }) =>
      event.type === "payment.succeed"
        ? {
            transactionId: event.transactionId,
            paidAt: event.paidAt,
            payerId: event.payerId,
            settlement: params.settlement,
          }
        : {},
    ),
    end: assign(({ event }) =>
      event.type === "payment.fail" || event.type === "payment.close"
        ? { endedAt: event.at, failure: { code: event.code, message: event.message } }
        : {},
    ),
    addFlag: assign(({ context, event }) =>
      event.type === "payment.flag"
        ? {
            flags: [
              ...context.flags,
              {
                reason: event.reason,
                transactionId: event.transactionId,
                amountFen: event.amountFen,
                currency: event.currency,
                refundId: event.refundId,
                ...(event.settlement ? { settlement: event.settlement } : {}),
                at: event.at,
              },
            ],
          }
        : {},
    ),
    addRefund: assign(({ context, event }) =>
      event.type === "payment.request_refund"
        ? {
            refundingFen: context.refundingFen + event.amountFen,
            refunds: {
              ...context.refunds,
              [event.refundId]: {
                amountFen: event.amountFen,
                reason: event.reason,
                status: "pending" as const,
                submitted: false,
                requestedAt: event.at,
                settledAt: null,
                channelState: null,
              },
            },
          }
        : {},
    ),
    submitRefund: assign(({ context, event }) =>
      event.type === "payment.submit_refund"
        ? {
            refunds: withRefund(context, event.refundId, {
              submitted: true,
              channelState: event.channelState,
            }),
          }
        : {},
    ),
    completeRefund: assign(({ context, event }) => {
      const refund = refundOf(context, event);
      if (event.type !== "payment.complete_refund" || !refund) return {};
      return {
        refundingFen: context.refundingFen - refund.amountFen,
        refundedFen: context.refundedFen + refund.amountFen,
        refunds: withRefund(context, event.refundId, { status: "succeeded", settledAt: event.at }),
      };
    }),
    failRefund: assign(({ context, event }) => {
      const refund = refundOf(context, event);
      if (event.type !== "payment.fail_refund" || !refund) return {};
      return {
        refundingFen: context.refundingFen - refund.amountFen,
        refunds: withRefund(context, event.refundId, {
          status: "failed",
          settledAt: event.at,
          channelState: event.channelState,
        }),
      };
    }),
  },
  guards: {
    matchesOrder: ({ context, event }) =>
      event.type === "payment.succeed" &&
      event.amountFen === context.amountFen &&
      event.currency === context.currency,
    isSameTransaction: ({ context, event }) =>
      event.type === "payment.succeed" && event.transactionId === context.transactionId,
    isSameTransactionHeld: ({ context, event }) =>
      event.type === "payment.succeed" && isHeldTransaction(context, event.transactionId),
    // Held money is posted once per channel transaction, whatever it is flagged as; a flag logged
    // before held money was posted does not count (its money never reached the ledger).
    isFlagNew: ({ context, event }) =>
      event.type === "payment.flag" &&
      (event.settlement === "unapplied"
        ? !isHeldTransaction(context, event.transactionId)
        : !context.flags.some(
            (f) =>
              f.settlement === undefined &&
              f.reason === event.reason &&
              f.transactionId === event.transactionId &&
              f.refundId === event.refundId,
          )),
    isFlagHoldable: ({ event }) =>
      event.type === "payment.flag" &&
      (event.settlement === undefined ||
        (holdableFlagReasons.has(event.reason) &&
          event.currency === "CNY" &&
          event.amountFen > 0n &&
          event.refundId === null)),
    isRefundKnown: ({ context, event }) => refundOf(context, event) !== undefined,
    isRefundPending: ({ context, event }) => refundOf(context, event)?.status === "pending",
    isRefundSubmitted: ({ context, event }) => refundOf(context, event)?.submitted === true,
    isRefundWithinPayment: ({ context, event }) =>
      event.type === "payment.request_refund" &&
      event.amountFen > 0n &&
      context.refundedFen + context.refundingFen + event.amountFen <= context.amountFen,
    // Paid, or ended holding money the channel took for a wrong amount.
    isRefundable: ({ context }) => context.settlement !== null || heldFen(context) > 0n,
    isRefundWithinHeld: ({ context, event }) =>
      event.type === "payment.request_refund" &&
      event.amountFen > 0n &&
      context.refundedFen + context.refundingFen + event.amountFen <= heldFen(context),
    refundsTheRest: ({ context, event }) => {
      const refund = refundOf(context, event);
      return refund !== undefined && context.refundedFen + refund.amountFen === context.amountFen;
    },
  },
}).createMachine({
  id: "payment",
  context: paymentInitialContext,
  initial: "new",
  on: {
    "payment.create": { actions: reject("payment_exists") },
    "payment.open": { actions: reject("payment_not_pending") },
    "payment.fail": { actions: reject("payment_not_pending") },
    "payment.close": { actions: reject("payment_not_pending") },
    "payment.flag": [
      { guard: not("isFlagHoldable"), actions: reject("flag_not_holdable") },
      { guard: "isFlagNew", actions: "addFlag" },
      { actions: reject("duplicate_flag") },
    ],
    "payment.request_refund": { actions: reject("payment_not_refundable") },
    "payment.submit_refund": { actions: reject("refund_not_found") },
    "payment.complete_refund": { actions: reject("refund_not_found") },
    "payment.fail_refund": { actions: reject("refund_not_found") },
  },
  states: {
    new: {
      on: {
        "payment.create": { target: "created", actions: "create" },
        "payment.open": { actions: reject("payment_not_created") },
        "payment.succeed": { actions: reject("payment_not_created") },
        "payment.fail": { actions: reject("payment_not_created") },
        "payment.close": { actions: reject("payment_not_created") },
        "payment.flag": { actions: reject("payment_not_created") },
      },
    },
    created: {
      on: {
        "payment.open": { target: "pending", actions: "open" },
        "payment.succeed": unpaidSuccess("succeeded", "credited"),
        "payment.fail": { target: "failed", actions: "end" },
        "payment.close": { target: "closed", actions: "end" },
      },
    },
    pending: {
      on: {
        "payment.succeed": unpaidSuccess("succeeded", "credited"),
        "payment.fail": { target: "failed", actions: "end" },
        "payment.close": { target: "closed", actions: "end" },
      },
    },
    succeeded: { on: paidHandlers() },
    paid_after_close: { on: paidHandlers() },
    refunded: { on: paidHandlers() },
    failed: { on: endedHandlers() },
    closed: { on: endedHandlers() },
  },
});

/**
 * A success of an order not paid yet: applied when it matches the order (credited, or unapplied
 * after the order ended); a transaction already held is in the ledger already, whatever its amount.
 */
function unpaidSuccess(target: "succeeded" | "paid_after_close", settlement: PaymentSettlement) {
  return [
    { guard: "isSameTransactionHeld", actions: reject("transaction_held") },
    { guard: "matchesOrder", target, actions: { type: "settle", params: { settlement } } },
    { actions: reject("amount_mismatch") },
  ] as const;
}

/** A success after the order ended is kept, but goes to unapplied money instead of the wallet. */
function endedHandlers() {
  return {
    "payment.succeed": unpaidSuccess("paid_after_close", "unapplied"),
    // Only money held for a wrong amount: the order itself was never paid.
    ...refundHandlers("isRefundWithinHeld"),
  } as const;
}

/** Once paid: a repeated success is a duplicate, and refunds may be requested up to what was paid. */
function paidHandlers() {
  return {
    "payment.succeed": [
      { guard: "isSameTransaction", actions: reject("duplicate_payment") },
      { actions: reject("transaction_conflict") },
    ],
    ...refundHandlers("isRefundWithinPayment", "refunded"),
  } as const;
}

/** Refunds up to what `withinGuard` allows; with `refundedTarget`, refunding the rest moves there. */
function refundHandlers(
  withinGuard: "isRefundWithinPayment" | "isRefundWithinHeld",
  refundedTarget?: "refunded",
) {
  const completeTheRest = refundedTarget
    ? [
        {
          guard: and(["isRefundPending", "refundsTheRest"]),
          target: refundedTarget,
          actions: "completeRefund",
        } as const,
      ]
    : [];
  return {
    "payment.request_refund": [
      { guard: not("isRefundable"), actions: reject("payment_not_refundable") },
      { guard: "isRefundKnown", actions: reject("refund_exists") },
      { guard: not(withinGuard), actions: reject("refund_exceeds_payment") },
      { actions: "addRefund" },
    ],
    "payment.submit_refund": [
      { guard: not("isRefundKnown"), actions: reject("refund_not_found") },
      { guard: and(["isRefundPending", not("isRefundSubmitted")]), actions: "submitRefund" },
      { actions: reject("refund_not_pending") },
    ],
    "payment.complete_refund": [
      { guard: not("isRefundKnown"), actions: reject("refund_not_found") },
      ...completeTheRest,
      { guard: "isRefundPending", actions: "completeRefund" },
      { actions: reject("refund_not_pending") },
    ],
    "payment.fail_refund": [
      { guard: not("isRefundKnown"), actions: reject("refund_not_found") },
      { guard: "isRefundPending", actions: "failRefund" },
      { actions: reject("refund_not_pending") },
    ],
  } as const;
}
