import type { SubscriptionCommand, SubscriptionContext, SubscriptionFact } from "./subscriptionTypes.js";

function statusOf(context: SubscriptionContext): SubscriptionFact["status"] {
  if (context.status === "new")
    throw new Error("a subscription fact after no transition (a guard was skipped)");
  return context.status;
}

function canceledFact(
  stamp: Omit<SubscriptionFact, "type">,
  after: SubscriptionContext,
  creditReleasedFen: bigint | undefined,
): SubscriptionFact {
  if (after.cancelReason === null || after.canceledAt === null) {
    throw new Error("a canceled subscription without its reason or time (an action was skipped)");
  }
  return {
    ...stamp,
    type: "subscription.canceled",
    cancelReason: after.cancelReason,
    canceledAt: after.canceledAt,
    // Only when credit moved: records written before it did replay to the same facts.
    ...(creditReleasedFen === undefined ? {} : { creditReleasedFen: creditReleasedFen.toString() }),
  };
}

/** Describes an accepted subscription command as the one fact it produced, from the context before and after. */
export function subscriptionFactOf(
  command: SubscriptionCommand,
  before: SubscriptionContext,
  after: SubscriptionContext,
): SubscriptionFact {
  const stamp = {
    subscriptionId: after.subscriptionId,
    customerId: after.customerId,
    productId: after.productId,
    priceId: after.priceId,
    amountFen: after.amountFen.toString(),
    status: statusOf(after),
  };
  const period = {
    periodIndex: after.periodIndex,
    currentPeriodStart: after.currentPeriodStart,
    currentPeriodEnd: after.currentPeriodEnd,
  };
  switch (command.type) {
    case "subscription.create":
      return { ...stamp, ...period, type: "subscription.created", invoiceId: command.invoiceId };
    case "subscription.pay_invoice":
      return {
        ...stamp,
        type: "subscription.invoice_paid",
        invoiceId: command.invoiceId,
        activated: before.status !== "active" && after.status === "active",
      };
    case "subscription.renew":
      return {
        ...stamp,
        ...period,
        type: "subscription.renewed",
        invoiceId: command.invoiceId,
        invoicePaid: command.invoicePaid,
        graceEndsAt: command.invoicePaid ? null : command.graceEndsAt,
        creditAppliedFen: command.creditAppliedFen.toString(),
        creditBalanceFen: after.creditFen.toString(),
        priceChanged: before.pendingChange !== null,
      };
    case "subscription.lapse":
      return {
        ...stamp,
        type: "subscription.past_due",
        invoiceId: command.invoiceId,
        graceEndsAt: after.graceEndsAt,
      };
    case "subscription.change_price": {
      const now = command.timing === "immediately";
      return {
        ...stamp,
        type: "subscription.price_changed",
        timing: command.timing,
        fromPriceId: before.priceId,
        fromAmountFen: before.amountFen.toString(),
        toPriceId: command.priceId,
        toAmountFen: command.amountFen.toString(),
        creditFen: now ? command.creditFen.toString() : "0",
        creditBalanceFen: after.creditFen.toString(),
        invoiceId: now ? command.invoiceId : null,
        // Only when the proration is owed: records written before it was replay to the same facts.
        ...(now && command.graceEndsAt !== undefined ? { graceEndsAt: command.graceEndsAt } : {}),
      };
    }
    case "subscription.cancel":
      if (command.mode === "period_end") {
        return { ...stamp, type: "subscription.cancel_scheduled", currentPeriodEnd: after.currentPeriodEnd };
      }
      return canceledFact(stamp, after, command.creditReleasedFen);
    case "subscription.end":
      return canceledFact(stamp, after, command.creditReleasedFen);
    case "subscription.expire_incomplete":
      return canceledFact(stamp, after, undefined);
    case "subscription.resume":
      return { ...stamp, type: "subscription.resumed", currentPeriodEnd: after.currentPeriodEnd };
  }
}
