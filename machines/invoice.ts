import { assign, not, setup } from "xstate";
import type { InvoiceCommand, InvoiceContext, InvoiceLine, InvoiceRejection } from "./invoiceTypes.js";

/**
 * An invoice. A top-up receipt opens at once with its line; a billing invoice (subscription or
 * purchase) is a draft until finalized, when it gets its number and its totals are fixed. Open
 * invoices are paid (by one payment of exactly what is due), voided, or written off as uncollectible.
 * Pure like the wallet: ids, numbers and time arrive inside commands; a refusal is one `reject` marker.
 */
export function initialInvoiceContext(): InvoiceContext {
  return {
    invoiceId: "",
    customerId: "",
    currency: "CNY",
    amountFen: 0n,
    lines: [],
    purpose: "top_up",
    number: null,
    subscriptionId: null,
    purchaseId: null,
    periodStart: null,
    periodEnd: null,
    creditAppliedFen: 0n,
    paymentId: null,
    createdAt: 0,
    finalizedAt: null,
    dueAt: null,
    paidAt: null,
    voidedAt: null,
    voidReason: null,
    uncollectibleAt: null,
    refundedFen: 0n,
  };
}

export const invoiceMachineVersion = 2;

export const invoiceLinesMax = 100;

const sumOf = (lines: readonly InvoiceLine[]) => lines.reduce((sum, line) => sum + line.amountFen, 0n);

/** Lines of a billing invoice: only a proration credit may be negative, and none is zero. */
/** Credits are lines of their own: unused time (proration) and postpaid usage that reached a cheaper tier. */
const billingLinesValid = (lines: readonly InvoiceLine[]) =>
  lines.every(
    (line) =>
      line.amountFen > 0n || (line.amountFen < 0n && (line.kind === "proration" || line.kind === "usage")),
  );

const reject = (code: InvoiceRejection) => ({ type: "reject", params: { code } }) as const;

export const invoiceMachine = setup({
  types: { context: {} as InvoiceContext, events: {} as InvoiceCommand },
  actions: {
    // A marker read from transition()'s action list; it never runs.
    reject: (_, _params: { code: InvoiceRejection }) => {},
    open: assign(({ event }) =>
      event.type === "invoice.open"
        ? {
            invoiceId: event.invoiceId,
            customerId: event.customerId,
            currency: event.currency,
            lines: event.lines,
            amountFen: sumOf(event.lines),
            purpose: event.purpose,
            createdAt: event.at,
          }
        : {},
    ),
    draft: assign(({ event }) =>
      event.type === "invoice.draft" || event.type === "invoice.issue"
        ? {
            invoiceId: event.invoiceId,
            customerId: event.customerId,
            currency: event.currency,
            lines: event.lines,
            creditAppliedFen: event.creditAppliedFen,
            amountFen: sumOf(event.lines) - event.creditAppliedFen,
            purpose: event.purpose,
            subscriptionId: event.subscriptionId,
            purchaseId: event.purchaseId,
            periodStart: event.periodStart,
            periodEnd: event.periodEnd,
            createdAt: event.at,
          }
        : {},
    ),
    finalize: assign(({ context, event }) => {
      if (event.type !== "invoice.finalize") return {};
      const lines = [...context.lines, ...event.addLines];
      return {
        lines,
        amountFen: sumOf(lines) - context.creditAppliedFen,
        number: event.number,
        finalizedAt: event.at,
        dueAt: event.dueAt,
      };
    }),
    issue: assign(({ event }) =>
      event.type === "invoice.issue"
        ? { number: event.number, finalizedAt: event.at, dueAt: event.dueAt }
        : {},
    ),
    settleNothingDue: assign(({ event }) => ({ paidAt: event.at })),
    markPaid: assign(({ event }) =>
      event.type === "invoice.pay" ? { paymentId: event.paymentId, paidAt: event.at } : {},
    ),
    markVoid: assign(({ event }) =>
      event.type === "invoice.void" ? { voidedAt: event.at, voidReason: event.reason } : {},
    ),
    markUncollectible: assign(({ event }) =>
      event.type === "invoice.mark_uncollectible"
        ? { uncollectibleAt: event.at, voidReason: event.reason }
        : {},
    ),
    refund: assign(({ context, event }) =>
      event.type === "invoice.refund" ? { refundedFen: context.refundedFen + event.amountFen } : {},
    ),
    restoreRefund: assign(({ context, event }) =>
      event.type === "invoice.restore_refund" ? { refundedFen: context.refundedFen - event.amountFen } : {},
    ),
  },
  guards: {
    hasValidLines: ({ event }) =>
      event.type === "invoice.open" &&
      event.lines.length > 0 &&
      event.lines.length <= invoiceLinesMax &&
      event.lines.every((line) => line.amountFen > 0n),
    hasValidDraftLines: ({ event }) =>
      (event.type === "invoice.draft" || (event.type === "invoice.issue" && event.number.length > 0)) &&
      event.lines.length > 0 &&
      event.lines.length <= invoiceLinesMax &&
      billingLinesValid(event.lines) &&
      event.creditAppliedFen >= 0n,
    draftTotalNegative: ({ event }) =>
      (event.type === "invoice.draft" || event.type === "invoice.issue") &&
      sumOf(event.lines) - event.creditAppliedFen < 0n,
    issuedWithNothingDue: ({ event }) =>
      event.type === "invoice.issue" && sumOf(event.lines) - event.creditAppliedFen === 0n,
    addedLinesInvalid: ({ context, event }) =>
      event.type === "invoice.finalize" &&
      (context.lines.length + event.addLines.length > invoiceLinesMax ||
        !billingLinesValid(event.addLines) ||
        event.number.length === 0),
    finalizedTotalNegative: ({ context, event }) =>
      event.type === "invoice.finalize" &&
      sumOf(context.lines) + sumOf(event.addLines) - context.creditAppliedFen < 0n,
    nothingDueAfterFinalize: ({ context, event }) =>
      event.type === "invoice.finalize" &&
      sumOf(context.lines) + sumOf(event.addLines) - context.creditAppliedFen === 0n,
    refundFits: ({ context, event }) =>
      event.type === "invoice.refund" &&
      context.purpose !== "top_up" &&
      event.amountFen > 0n &&
      context.refundedFen + event.amountFen <= context.amountFen,
    restoreFits: ({ context, event }) =>
      event.type === "invoice.restore_refund" &&
      event.amountFen > 0n &&
      event.amountFen <= context.refundedFen,
    isPaidInFull: ({ context, event }) =>
      event.type === "invoice.pay" && event.amountFen === context.amountFen,
  },
}).createMachine({
  id: "invoice",
  context: () => initialInvoiceContext(),
  initial: "new",
  states: {
    new: {
      on: {
        "invoice.open": [
          { guard: "hasValidLines", target: "open", actions: "open" },
          { actions: reject("invoice_lines_invalid") },
        ],
        "invoice.draft": [
          { guard: "draftTotalNegative", actions: reject("invoice_total_negative") },
          { guard: "hasValidDraftLines", target: "draft", actions: "draft" },
          { actions: reject("invoice_lines_invalid") },
        ],
        "invoice.issue": [
          { guard: "draftTotalNegative", actions: reject("invoice_total_negative") },
          { guard: not("hasValidDraftLines"), actions: reject("invoice_lines_invalid") },
          {
            guard: "issuedWithNothingDue",
            target: "paid",
            actions: ["draft", "issue", "settleNothingDue"],
          },
          { target: "open", actions: ["draft", "issue"] },
        ],
        "invoice.finalize": { actions: reject("invoice_not_draft") },
        "invoice.pay": { actions: reject("invoice_not_open") },
        "invoice.void": { actions: reject("invoice_not_open") },
        "invoice.mark_uncollectible": { actions: reject("invoice_not_open") },
        ...notPaidYet(),
      },
    },
    draft: {
      on: {
        "invoice.open": { actions: reject("invoice_exists") },
        "invoice.draft": { actions: reject("invoice_exists") },
        "invoice.issue": { actions: reject("invoice_exists") },
        "invoice.finalize": [
          { guard: "addedLinesInvalid", actions: reject("invoice_lines_invalid") },
          { guard: "finalizedTotalNegative", actions: reject("invoice_total_negative") },
          { guard: "nothingDueAfterFinalize", target: "paid", actions: ["finalize", "settleNothingDue"] },
          { target: "open", actions: "finalize" },
        ],
        "invoice.pay": { actions: reject("invoice_not_open") },
        "invoice.void": { target: "void", actions: "markVoid" },
        "invoice.mark_uncollectible": { actions: reject("invoice_not_open") },
        ...notPaidYet(),
      },
    },
    open: {
      on: {
        "invoice.open": { actions: reject("invoice_exists") },
        "invoice.draft": { actions: reject("invoice_exists") },
        "invoice.issue": { actions: reject("invoice_exists") },
        "invoice.finalize": { actions: reject("invoice_not_draft") },
        "invoice.pay": [
          { guard: "isPaidInFull", target: "paid", actions: "markPaid" },
          { actions: reject("amount_mismatch") },
        ],
        "invoice.void": { target: "void", actions: "markVoid" },
        "invoice.mark_uncollectible": { target: "uncollectible", actions: "markUncollectible" },
        ...notPaidYet(),
      },
    },
    paid: {
      on: {
        ...closedTransitions(),
        "invoice.refund": [
          { guard: "refundFits", actions: "refund" },
          { actions: reject("refund_exceeds_invoice") },
        ],
        "invoice.restore_refund": [
          { guard: "restoreFits", actions: "restoreRefund" },
          { actions: reject("refund_exceeds_invoice") },
        ],
      },
    },
    void: { on: closedTransitions() },
    uncollectible: { on: closedTransitions() },
  },
});

/** Only a paid invoice has money to refund: an unhandled event would be accepted as a no-op. */
function notPaidYet() {
  return {
    "invoice.refund": { actions: reject("invoice_not_paid") },
    "invoice.restore_refund": { actions: reject("invoice_not_paid") },
  } as const;
}

/** A paid, void or uncollectible invoice never changes again. */
function closedTransitions() {
  return {
    "invoice.open": { actions: reject("invoice_exists") },
    "invoice.draft": { actions: reject("invoice_exists") },
    "invoice.issue": { actions: reject("invoice_exists") },
    "invoice.finalize": { actions: reject("invoice_not_draft") },
    "invoice.pay": { actions: reject("invoice_not_open") },
    "invoice.void": { actions: reject("invoice_not_open") },
    "invoice.mark_uncollectible": { actions: reject("invoice_not_open") },
    "invoice.refund": { actions: reject("invoice_not_paid") },
    "invoice.restore_refund": { actions: reject("invoice_not_paid") },
  } as const;
}
