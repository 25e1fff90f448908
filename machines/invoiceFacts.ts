import type { InvoiceCommand, InvoiceContext, InvoiceFact, InvoiceLine } from "./invoiceTypes.js";

const factLines = (lines: readonly InvoiceLine[]) =>
  lines.map((line) => ({
    description: line.description,
    amountFen: line.amountFen.toString(),
    ...(line.kind !== undefined ? { kind: line.kind } : {}),
    ...(line.quantity !== undefined ? { quantity: line.quantity } : {}),
    ...(line.unitAmount !== undefined ? { unitAmount: line.unitAmount } : {}),
  }));

/** What billing facts add; a top-up receipt's facts keep their first shape (replay compares them). */
const billing = (after: InvoiceContext) =>
  after.purpose === "top_up"
    ? {}
    : { purpose: after.purpose, subscriptionId: after.subscriptionId, purchaseId: after.purchaseId };

/** Describes an accepted invoice command as the one fact it produced. */
export function invoiceFactOf(
  command: InvoiceCommand,
  before: InvoiceContext,
  after: InvoiceContext,
): InvoiceFact {
  const stamp = {
    invoiceId: after.invoiceId,
    customerId: after.customerId,
    amountFen: after.amountFen.toString(),
    currency: after.currency,
  };
  switch (command.type) {
    case "invoice.open":
      return { ...stamp, type: "invoice.opened", purpose: after.purpose, lines: factLines(after.lines) };
    case "invoice.draft":
      return {
        ...stamp,
        type: "invoice.drafted",
        purpose: after.purpose,
        lines: factLines(after.lines),
        creditAppliedFen: after.creditAppliedFen.toString(),
        subscriptionId: after.subscriptionId,
        purchaseId: after.purchaseId,
      };
    case "invoice.finalize":
    case "invoice.issue":
      return {
        ...stamp,
        type: "invoice.finalized",
        purpose: after.purpose,
        number: command.number,
        lines: factLines(after.lines),
        creditAppliedFen: after.creditAppliedFen.toString(),
        subscriptionId: after.subscriptionId,
        purchaseId: after.purchaseId,
        status: after.paidAt !== null ? "paid" : "open",
      };
    case "invoice.pay":
      return { ...stamp, type: "invoice.paid", paymentId: command.paymentId, ...billing(after) };
    case "invoice.void":
      return {
        ...stamp,
        type: "invoice.voided",
        reason: command.reason,
        ...billing(after),
        ...(before.finalizedAt !== null
          ? {
              wasFinalized: true,
              lines: factLines(after.lines),
              creditAppliedFen: after.creditAppliedFen.toString(),
            }
          : {}),
      };
    case "invoice.refund":
    case "invoice.restore_refund":
      return {
        ...stamp,
        type: command.type === "invoice.refund" ? "invoice.refunded" : "invoice.refund_restored",
        refundId: command.refundId,
        refundFen: command.amountFen.toString(),
        ...billing(after),
      };
    case "invoice.mark_uncollectible":
      return { ...stamp, type: "invoice.marked_uncollectible", reason: command.reason, ...billing(after) };
  }
}
