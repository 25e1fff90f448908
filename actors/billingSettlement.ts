import type { InvoiceContext } from "../machines/invoiceTypes.js";
import { purchaseEntity } from "../machines/purchaseKind.js";
import { subscriptionEntity } from "../machines/subscriptionKind.js";
import type { BillingService } from "./billing.js";
import { partOf } from "./crossKindRecord.js";
import type { SettlementParts } from "./invoiceSettlement.js";

/**
 * What paying (or refunding) a billing invoice does to its subscription or purchase, as parts of the
 * payment's own record (billing is collection's InvoiceSettlement). Times are the customer's.
 */
export async function settlementFor(
  billing: BillingService,
  invoice: InvoiceContext,
): Promise<SettlementParts> {
  const ref = await billing.invoiceRefById(invoice.invoiceId);
  const at = ref ? await billing.nowFor(ref) : billing.log.now();
  const clockTime = ref?.testClockId ? { at } : {};
  if (invoice.subscriptionId) {
    const id = invoice.subscriptionId;
    const resident = await billing.subscriptions.pin(subscriptionEntity(id), id);
    return {
      ...clockTime,
      paid: (paid) => [
        partOf(
          billing.subscriptions,
          resident,
        )(() => ({ type: "subscription.pay_invoice", invoiceId: paid.invoiceId, at })),
      ],
      refunded: () => [],
      release: () => billing.subscriptions.unpin(resident),
    };
  }
  if (invoice.purchaseId) {
    const id = invoice.purchaseId;
    const resident = await billing.purchases.pin(purchaseEntity(id), id);
    return {
      ...clockTime,
      paid: (paid) => [
        partOf(billing.purchases, resident)(() => ({ type: "purchase.pay", invoiceId: paid.invoiceId, at })),
      ],
      // The first refund revokes the purchase; later ones (the rest of a partial) are money only.
      refunded: (_invoice, refundId) =>
        resident.speculative.value === "paid"
          ? [partOf(billing.purchases, resident)(() => ({ type: "purchase.refund", refundId, at }))]
          : [],
      release: () => billing.purchases.unpin(resident),
    };
  }
  return { paid: () => [], refunded: () => [], release: () => {} };
}
