import { assign, setup } from "xstate";

/**
 * The invoice numbers of one merchant in one environment: each finalization takes the next in the
 * same record, so numbers are gapless and never reused (a voided invoice keeps its number).
 */
export interface InvoiceNumbersContext {
  issued: number;
}

export type InvoiceNumbersCommand = { type: "invoice_number.take"; invoiceId: string; at: number };

export interface InvoiceNumbersFact {
  type: "invoice_number.taken";
  invoiceId: string;
  sequence: number;
}

export const invoiceNumbersMachineVersion = 1;

export const invoiceNumbersMachine = setup({
  types: { context: {} as InvoiceNumbersContext, events: {} as InvoiceNumbersCommand },
  actions: {
    reject: (_, _params: { code: string }) => {},
    take: assign(({ context }) => ({ issued: context.issued + 1 })),
  },
}).createMachine({
  id: "invoiceNumbers",
  context: { issued: 0 },
  initial: "issuing",
  states: { issuing: { on: { "invoice_number.take": { actions: "take" } } } },
});

/** The printed form: a sandbox number says so, so a test invoice is never mistaken for a real one. */
export function formatInvoiceNumber(env: string, sequence: number): string {
  const digits = sequence.toString().padStart(6, "0");
  return env === "live" ? `INV-${digits}` : `TEST-INV-${digits}`;
}
