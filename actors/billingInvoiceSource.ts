import type { BillingService } from "./billing.js";
import type { CustomerDirectory } from "./customers.js";
import type { InvoiceSource, InvoiceSourceData } from "./invoiceDocuments.js";
import type { MerchantDirectory } from "./merchants.js";
import type { PaymentService } from "./payments.js";

/** Billing invoices as documents: the invoice, its customer and merchant, and the payment that paid it. */
export function billingInvoiceSource(
  billing: BillingService,
  customers: CustomerDirectory,
  merchants: MerchantDirectory,
  payments: PaymentService,
): InvoiceSource {
  return {
    async read(invoiceId): Promise<InvoiceSourceData | undefined> {
      const ref = await billing.invoiceRefById(invoiceId);
      if (!ref) return undefined;
      const [invoice, customer, merchant, attempt] = await Promise.all([
        billing.invoice(invoiceId),
        customers.find(ref.env, ref.merchantId, ref.customerExternalId),
        merchants.find(ref.merchantId),
        payments.attempt(invoiceId),
      ]);
      const paid = attempt && attempt.payment.context.paidAt !== null ? attempt : undefined;
      return {
        env: ref.env,
        merchantId: ref.merchantId,
        invoice,
        customer: {
          name: customer?.name ?? null,
          email: customer?.email ?? null,
          externalId: ref.customerExternalId,
        },
        merchant: { name: merchant?.name ?? "" },
        payment: paid
          ? {
              channel: paid.ref.provider === "wechatpay" ? "wechat_pay" : "alipay",
              transactionId: paid.payment.context.transactionId,
              paidAt: paid.payment.context.paidAt,
            }
          : null,
      };
    },
  };
}
