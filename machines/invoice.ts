import { assign, setup } from "xstate";
import type { InvoiceCommand, InvoiceContext, InvoiceRejection } from "./invoiceTypes.js";

/**
 * An invoice: opened with its lines, then paid (by one payment of exactly its amount) or voided.
 * Pure like the wallet: ids and time arrive inside commands; a refusal is one `reject` marker.
 */
/** A new invoice's context: the machine's initial state and the kind's. */
export function initialInvoiceContext(): InvoiceContext {
  return {
    invoiceId: "",
    customerId: "",
    currency: "CNY",
    amountFen: 0n,
    lines: [],
    purpose: "top_up",
    paymentId: null,
    createdAt: 0,
    paidAt: null,
    voidedAt: null,
    voidReason: null,
  };
}

export const invoiceMachineVersion = 1;

export const invoiceLinesMax = 100;

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
            amountFen: event.lines.reduce((sum, line) => sum + line.amountFen, 0n),
            purpose: event.purpose,
            createdAt: event.at,
          }
        : {},
    ),
    markPaid: assign(({ event }) =>
      event.type === "invoice.pay" ? { paymentId: event.paymentId, paidAt: event.at } : {},
    ),
    markVoid: assign(({ event }) =>
      event.type === "invoice.void" ? { voidedAt: event.at, voidReason: event.reason } : {},
    ),
  },
  guards: {
    hasValidLines: ({ event }) =>
      event.type === "invoice.open" &&
      event.lines.length > 0 &&
      event.lines.length <= invoiceLinesMax &&
      event.lines.every((line) => line.amountFen > 0n),
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
        "invoice.pay": { actions: reject("invoice_not_open") },
        "invoice.void": { actions: reject("invoice_not_open") },
      },
    },
    open: {
      on: {
        "invoice.open": { actions: reject("invoice_exists") },
        "invoice.pay": [
          { guard: "isPaidInFull", target: "paid", actions: "markPaid" },
          { actions: reject("amount_mismatch") },
        ],
        "invoice.void": { target: "void", actions: "markVoid" },
      },
    },
    paid: {
      on: {
        "invoice.open": { actions: reject("invoice_exists") },
        "invoice.pay": { actions: reject("invoice_not_open") },
        "invoice.void": { actions: reject("invoice_not_open") },
      },
    },
    void: {
      on: {
        "invoice.open": { actions: reject("invoice_exists") },
        "invoice.pay": { actions: reject("invoice_not_open") },
        "invoice.void": { actions: reject("invoice_not_open") },
      },
    },
  },
});
