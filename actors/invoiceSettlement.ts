import type { InvoiceContext } from "../machines/invoiceTypes.js";
import type { KindPart } from "./crossKindRecord.js";

/**
 * What a billing invoice's money settles besides the invoice itself — its subscription or its purchase.
 * Collection (PaymentLedger) knows payments, invoices and wallets; billing plugs in here, so a paid
 * subscription invoice activates the subscription in the same record that takes the money.
 */
export interface InvoiceSettlement {
  /** Pins whatever the invoice settles for the length of one record. */
  pin(invoice: InvoiceContext): Promise<SettlementParts>;
}

export interface SettlementParts {
  /**
   * The invoice's own time when its customer lives on a sandbox test clock: its payment and refunds
   * are stamped in the clock's time, as its finalization was. Absent: ledger time.
   */
  at?: number;
  /** Parts added to the record that pays the invoice. */
  paid(invoice: InvoiceContext, paymentId: string): KindPart[];
  /** Parts added to the record that refunds part of the paid invoice (a purchase revokes its entitlement). */
  refunded(invoice: InvoiceContext, refundId: string, amountFen: bigint): KindPart[];
  release(): void;
}

/** Until billing is wired in: a billing invoice settles nothing else. */
export const noSettlement: InvoiceSettlement = {
  pin: () => Promise.resolve({ paid: () => [], refunded: () => [], release: () => {} }),
};
