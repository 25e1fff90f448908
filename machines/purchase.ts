import { assign, not, setup } from "xstate";
import type { EntityState } from "./kind.js";
import type { PurchaseCommand, PurchaseContext, PurchaseRejection, PurchaseStatus } from "./purchaseTypes.js";

/**
 * A one-time purchase granting a permanent entitlement: `pending` while its invoice is open, then
 * `paid` (granted) and perhaps `refunded` (revoked) within the refund window, or `canceled` when
 * the invoice is voided. Pure: ids and time arrive inside commands; a refusal is one `reject` marker.
 */
export const purchaseMachineVersion = 1;

/** A new purchase's context: the machine's initial state and the kind's. */
export function initialPurchaseContext(): PurchaseContext {
  return {
    purchaseId: "",
    customerId: "",
    productId: "",
    priceId: "",
    amountFen: 0n,
    invoiceId: "",
    refundWindowMs: 0,
    status: "new",
    createdAt: 0,
    paidAt: null,
    refundedAt: null,
    refundId: null,
    canceledAt: null,
    cancelReason: null,
  };
}

/** The last moment a paid purchase may be refunded, or null when it may not be. */
export function purchaseRefundableUntil(context: PurchaseContext): number | null {
  if (context.paidAt === null || context.refundWindowMs === 0) return null;
  return context.paidAt + context.refundWindowMs;
}

/** Whether the purchase entitles the customer to the product: once paid, until refunded. */
export function purchaseGrantsAccess(state: EntityState<PurchaseContext>): boolean {
  return state.value === "paid";
}

const reject = (code: PurchaseRejection) => ({ type: "reject", params: { code } }) as const;
const entered = (status: PurchaseStatus) => ({ type: "setStatus", params: { status } }) as const;

export const purchaseMachine = setup({
  types: { context: {} as PurchaseContext, events: {} as PurchaseCommand },
  actions: {
    // A marker read from transition()'s action list; it never runs.
    reject: (_, _params: { code: PurchaseRejection }) => {},
    setStatus: assign((_, params: { status: PurchaseStatus }) => ({ status: params.status })),
    create: assign(({ event }) =>
      event.type === "purchase.create"
        ? {
            purchaseId: event.purchaseId,
            customerId: event.customerId,
            productId: event.productId,
            priceId: event.priceId,
            amountFen: event.amountFen,
            invoiceId: event.invoiceId,
            refundWindowMs: event.refundWindowMs,
            createdAt: event.at,
          }
        : {},
    ),
    markPaid: assign(({ event }) => ({ paidAt: event.at })),
    markRefunded: assign(({ event }) =>
      event.type === "purchase.refund" ? { refundedAt: event.at, refundId: event.refundId } : {},
    ),
    markCanceled: assign(({ event }) =>
      event.type === "purchase.cancel" ? { canceledAt: event.at, cancelReason: event.reason } : {},
    ),
  },
  guards: {
    hasPositiveAmount: ({ event }) => event.type === "purchase.create" && event.amountFen > 0n,
    hasValidRefundWindow: ({ event }) =>
      event.type === "purchase.create" &&
      Number.isSafeInteger(event.refundWindowMs) &&
      event.refundWindowMs >= 0,
    isItsInvoice: ({ context, event }) =>
      event.type === "purchase.pay" && event.invoiceId === context.invoiceId,
    isWithinRefundWindow: ({ context, event }) => {
      const until = purchaseRefundableUntil(context);
      return until !== null && event.at <= until;
    },
  },
}).createMachine({
  id: "purchase",
  context: () => initialPurchaseContext(),
  initial: "new",
  on: {
    "purchase.create": { actions: reject("purchase_exists") },
    "purchase.pay": { actions: reject("purchase_not_pending") },
    "purchase.refund": { actions: reject("purchase_not_paid") },
    "purchase.cancel": { actions: reject("purchase_not_pending") },
  },
  states: {
    new: {
      on: {
        "purchase.create": [
          { guard: not("hasPositiveAmount"), actions: reject("invalid_amount") },
          { guard: not("hasValidRefundWindow"), actions: reject("invalid_refund_window") },
          { target: "pending", actions: "create" },
        ],
        "purchase.pay": { actions: reject("purchase_not_found") },
        "purchase.refund": { actions: reject("purchase_not_found") },
        "purchase.cancel": { actions: reject("purchase_not_found") },
      },
    },
    pending: {
      entry: entered("pending"),
      on: {
        "purchase.pay": [
          { guard: "isItsInvoice", target: "paid", actions: "markPaid" },
          { actions: reject("invoice_mismatch") },
        ],
        "purchase.cancel": { target: "canceled", actions: "markCanceled" },
      },
    },
    paid: {
      entry: entered("paid"),
      on: {
        "purchase.refund": [
          { guard: "isWithinRefundWindow", target: "refunded", actions: "markRefunded" },
          { actions: reject("refund_window_closed") },
        ],
      },
    },
    refunded: { entry: entered("refunded") },
    canceled: { entry: entered("canceled") },
  },
});
