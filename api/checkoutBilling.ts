import type { BillingInvoiceRef } from "../actors/billingRefs.js";
import type { Runtime, TopUpResult } from "../actors/index.js";
import { invoiceIdPattern } from "../actors/paymentIndexes.js";
import { isCollectable } from "../actors/paymentRecords.js";
import { DomainError } from "../domain/errors.js";
import { KeyedTurns } from "../domain/keyedTurns.js";
import { formatMicros, fenToMicros } from "../domain/money.js";
import type { InvoiceContext } from "../machines/invoiceTypes.js";
import type { EntityState } from "../machines/kind.js";

/** What the hosted page offers for a billing invoice: a QR code to scan, or Alipay's cashier. */
export const checkoutChannels = ["wechat_native", "alipay_page"] as const;
export type CheckoutChannel = (typeof checkoutChannels)[number];

/** A finalized subscription or purchase invoice as its checkout page sees it. */
export interface BillingCheckout {
  /** Server-side only: the page shows none of the customer fields. */
  ref: BillingInvoiceRef;
  invoice: EntityState<InvoiceContext>;
  /** The latest payment attempt: payable, or ended (expired, failed, closed), or the one that paid. */
  attempt: TopUpResult | undefined;
  merchantName: string;
  /** The channels this server can collect through in the invoice's environment, in page order. */
  channels: CheckoutChannel[];
}

/** `open`: nothing payable yet, the buyer chooses a channel; `pending`: an attempt waits for payment. */
export type BillingCheckoutStatus = "open" | "pending" | "paid" | "void" | "uncollectible";

export function billingCheckoutStatus(checkout: BillingCheckout): BillingCheckoutStatus {
  const state = checkout.invoice.value;
  if (state === "paid" || state === "void" || state === "uncollectible") return state;
  return checkout.attempt && isCollectable(checkout.attempt.payment) ? "pending" : "open";
}

export function billingCheckoutStatusView(checkout: BillingCheckout) {
  return {
    object: "checkout_status" as const,
    invoiceId: checkout.invoice.context.invoiceId,
    status: billingCheckoutStatus(checkout),
    amount: formatMicros(fenToMicros(checkout.invoice.context.amountFen)),
    currency: "CNY" as const,
  };
}

/** A draft, or a draft voided before it was finalized, was never the buyer's to see. */
const shownStates = new Set(["open", "paid", "void", "uncollectible"]);

const isHttpUrl = (url: string) => /^https?:\/\//.test(url);

/**
 * Billing invoices on the hosted checkout page: found by id (the id is the capability, as with a
 * top-up's page), paid by starting an attempt through a channel the buyer picks. Starts are
 * serialized per invoice, so a double click gets the first click's attempt back, not a refusal.
 */
export class BillingCheckouts {
  private readonly starting = new KeyedTurns();

  constructor(private readonly runtime: Runtime) {}

  /** The billing invoice behind a checkout id; undefined for a top-up's id or an unknown one. */
  async ref(invoiceId: string): Promise<BillingInvoiceRef | undefined> {
    return invoiceIdPattern.test(invoiceId) ? this.runtime.billing.invoiceRefById(invoiceId) : undefined;
  }

  /** The checkout of a finalized invoice; undefined for a draft. */
  async read(ref: BillingInvoiceRef): Promise<BillingCheckout | undefined> {
    const invoice = await this.runtime.billing.invoice(ref.invoiceId);
    if (invoice.context.finalizedAt === null || !shownStates.has(invoice.value)) return undefined;
    const [attempt, merchant] = await Promise.all([
      this.runtime.payments.attempt(ref.invoiceId),
      this.runtime.merchants.find(ref.merchantId),
    ]);
    return {
      ref,
      invoice,
      attempt,
      merchantName: merchant?.name ?? "",
      channels: checkoutChannels.filter((channel) => this.runtime.payments.supports(ref.env, channel)),
    };
  }

  /**
   * Starts paying through `channel`, or returns the live attempt of the same channel. Refused with
   * payment_in_progress while another channel's attempt is live, invoice_not_open once it is not.
   */
  async pay(checkout: BillingCheckout, channel: CheckoutChannel): Promise<BillingCheckout> {
    if (!checkout.channels.includes(channel)) {
      throw new DomainError("channel_not_configured", `${channel} is not offered for this invoice`);
    }
    const { invoiceId } = checkout.ref;
    await this.starting.run(invoiceId, () => this.start(checkout.ref, channel));
    const after = await this.read(checkout.ref);
    if (!after) throw new Error(`invoice ${invoiceId} went back to draft`);
    return after;
  }

  private async start(ref: BillingInvoiceRef, channel: CheckoutChannel): Promise<void> {
    const customer = await this.runtime.customers.require(ref.env, ref.merchantId, ref.customerExternalId);
    // Alipay sends the buyer back here after paying, where the page shows the outcome.
    const returnUrl = this.runtime.payments.checkoutUrl(ref.invoiceId);
    await this.runtime.payments.payInvoice(customer, ref.invoiceId, {
      channel,
      ...(channel === "alipay_page" && isHttpUrl(returnUrl) ? { returnUrl } : {}),
    });
  }
}
