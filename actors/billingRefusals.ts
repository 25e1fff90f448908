import { DomainError } from "../domain/errors.js";

/** Machine refusals as API errors. */
export function refusal(code: string): DomainError {
  switch (code) {
    case "subscription_not_active":
    case "subscription_canceled":
    case "same_price":
    case "cancel_scheduled":
    case "not_scheduled_to_cancel":
    case "period_ended":
    case "refund_window_closed":
    case "purchase_not_paid":
    case "invoice_not_open":
    case "invoice_unpaid":
      return new DomainError(code, messages[code] ?? code.replaceAll("_", " "));
    default:
      return new DomainError("invalid_request", `refused: ${code}`);
  }
}

const messages: Partial<Record<string, string>> = {
  subscription_not_active:
    "the subscription is not active: it starts when its first invoice is paid (until then it can only be canceled immediately)",
  subscription_canceled: "the subscription is canceled",
  same_price: "the subscription is already on this price",
  cancel_scheduled: "a cancel is already scheduled; resume it or cancel immediately",
  not_scheduled_to_cancel: "the subscription is not scheduled to cancel",
  period_ended: "the period has ended",
  invoice_unpaid: "an invoice of this subscription is unpaid: pay it before changing the plan",
};
