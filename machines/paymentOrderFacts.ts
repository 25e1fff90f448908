import { feeFen } from "../domain/collection.js";
import { refundSettlement } from "./paymentOrderMoney.js";
import type { PaymentCommand, PaymentContext, PaymentFact } from "./paymentOrderTypes.js";

function refundAmount(context: PaymentContext, refundId: string): bigint {
  const refund = context.refunds[refundId];
  if (!refund) throw new Error(`refund ${refundId} was not known after the command`);
  return refund.amountFen;
}

/** Describes an accepted payment command as the one fact it produced, from the context before and after. */
export function paymentFactOf(
  command: PaymentCommand,
  _before: PaymentContext,
  after: PaymentContext,
): PaymentFact {
  const stamp = {
    paymentId: after.paymentId,
    invoiceId: after.invoiceId,
    customerId: after.customerId,
    provider: after.provider,
    channel: after.channel,
    amountFen: after.amountFen.toString(),
    currency: after.currency,
  };
  switch (command.type) {
    case "payment.create":
      return { ...stamp, type: "payment.created", expiresAt: after.expiresAt };
    case "payment.open":
      return { ...stamp, type: "payment.opened", action: command.action, expiresAt: after.expiresAt };
    case "payment.succeed": {
      const paid = { transactionId: command.transactionId, paidAt: command.paidAt };
      if (after.settlement === "unapplied") {
        return { ...stamp, ...paid, type: "payment.paid_after_close", settlement: "unapplied" };
      }
      return {
        ...stamp,
        ...paid,
        type: "payment.succeeded",
        settlement: "credited",
        channelFeeFen: feeFen(after.amountFen, after.channelFeeBps).toString(),
        platformFeeFen: feeFen(after.amountFen, after.platformFeeBps).toString(),
      };
    }
    case "payment.fail":
    case "payment.close":
      return {
        ...stamp,
        type: command.type === "payment.fail" ? "payment.failed" : "payment.closed",
        code: command.code,
        message: command.message,
      };
    case "payment.flag":
      return {
        ...stamp,
        type: "payment.flagged",
        reason: command.reason,
        transactionId: command.transactionId,
        amountFen: command.amountFen.toString(),
        currency: command.currency,
        ...(command.refundId !== null ? { refundId: command.refundId } : {}),
        ...(command.settlement ? { settlement: command.settlement } : {}),
      };
    case "payment.request_refund":
      return {
        ...stamp,
        type: "payment.refund_requested",
        refundId: command.refundId,
        amountFen: command.amountFen.toString(),
        reason: command.reason,
        settlement: refundSettlement(after),
      };
    case "payment.submit_refund":
      return {
        ...stamp,
        type: "payment.refund_submitted",
        refundId: command.refundId,
        amountFen: refundAmount(after, command.refundId).toString(),
        channelState: command.channelState,
      };
    case "payment.complete_refund":
    case "payment.fail_refund":
      return {
        ...stamp,
        type:
          command.type === "payment.complete_refund" ? "payment.refund_succeeded" : "payment.refund_failed",
        refundId: command.refundId,
        amountFen: refundAmount(after, command.refundId).toString(),
        refundedFen: after.refundedFen.toString(),
        settlement: refundSettlement(after),
        ...(command.type === "payment.fail_refund" ? { channelState: command.channelState } : {}),
      };
  }
}
