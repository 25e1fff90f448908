import { purchaseRefundableUntil } from "./purchase.js";
import type { PurchaseCommand, PurchaseContext, PurchaseFact } from "./purchaseTypes.js";

/** Describes an accepted purchase command as the one fact it produced. */
export function purchaseFactOf(
  command: PurchaseCommand,
  _before: PurchaseContext,
  after: PurchaseContext,
): PurchaseFact {
  if (after.status === "new") throw new Error("a purchase fact after no transition (a guard was skipped)");
  const stamp = {
    purchaseId: after.purchaseId,
    customerId: after.customerId,
    productId: after.productId,
    priceId: after.priceId,
    amountFen: after.amountFen.toString(),
    invoiceId: after.invoiceId,
    status: after.status,
  };
  switch (command.type) {
    case "purchase.create":
      return { ...stamp, type: "purchase.created", refundWindowMs: after.refundWindowMs };
    case "purchase.pay":
      return {
        ...stamp,
        type: "purchase.paid",
        paidAt: command.at,
        refundableUntil: purchaseRefundableUntil(after),
      };
    case "purchase.refund":
      return { ...stamp, type: "purchase.refunded", refundId: command.refundId };
    case "purchase.cancel":
      return { ...stamp, type: "purchase.canceled", reason: command.reason };
  }
}
