import type { InvoiceCommand, InvoiceContext, InvoiceFact } from "./invoiceTypes.js";

/** Describes an accepted invoice command as the one fact it produced. */
export function invoiceFactOf(
  command: InvoiceCommand,
  _before: InvoiceContext,
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
      return {
        ...stamp,
        type: "invoice.opened",
        purpose: after.purpose,
        lines: after.lines.map((line) => ({
          description: line.description,
          amountFen: line.amountFen.toString(),
        })),
      };
    case "invoice.pay":
      return { ...stamp, type: "invoice.paid", paymentId: command.paymentId };
    case "invoice.void":
      return { ...stamp, type: "invoice.voided", reason: command.reason };
  }
}
