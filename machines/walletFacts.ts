import type { WalletCommand, WalletContext, WalletFact } from "./walletTypes.js";

const availableOf = (c: WalletContext): bigint => c.balanceMicros - c.reservedMicros;

/** Describes an accepted wallet command as the one fact it produced, from the context before and after. */
export function walletFactOf(
  command: WalletCommand,
  before: WalletContext,
  after: WalletContext,
): WalletFact {
  if (command.type === "wallet.charge") return usageFactOf(command, after, "usage.charged");
  if (command.type === "wallet.accrue")
    return usageFactOf(command, after, "usage.accrued", command.detail.currency);
  const stamp = {
    transactionId: command.transactionId,
    balanceAfterMicros: after.balanceMicros.toString(),
    availableAfterMicros: availableOf(after).toString(),
  };
  switch (command.type) {
    case "wallet.grant":
      return {
        ...stamp,
        type: "wallet.granted",
        amountMicros: command.amountMicros.toString(),
        reason: command.reason,
      };
    case "wallet.debit":
      return {
        ...stamp,
        type: "wallet.debited",
        amountMicros: command.amountMicros.toString(),
        description: command.description,
      };
    case "wallet.reserve":
      return {
        ...stamp,
        type: "wallet.reserved",
        amountMicros: command.amountMicros.toString(),
        reservationId: command.reservationId,
        expiresAt: command.expiresAt,
      };
    case "wallet.capture": {
      const reserved = heldAmount(before, command.reservationId);
      const captured = command.amountMicros ?? reserved;
      return {
        ...stamp,
        type: "wallet.captured",
        amountMicros: captured.toString(),
        releasedMicros: (reserved - captured).toString(),
        reservationId: command.reservationId,
        expiresAt: expiryOf(before, command.reservationId),
      };
    }
    case "wallet.release":
    case "wallet.expire":
      return {
        ...stamp,
        type: command.type === "wallet.release" ? "wallet.released" : "wallet.expired",
        amountMicros: heldAmount(before, command.reservationId).toString(),
        reservationId: command.reservationId,
        expiresAt: expiryOf(before, command.reservationId),
      };
    case "wallet.top_up":
      return {
        ...stamp,
        type: "wallet.topped_up",
        amountMicros: command.amountMicros.toString(),
        paymentId: command.paymentId,
      };
    case "wallet.refund_top_up":
    case "wallet.restore_refund":
      return {
        ...stamp,
        type: command.type === "wallet.refund_top_up" ? "wallet.top_up_refunded" : "wallet.refund_restored",
        amountMicros: command.amountMicros.toString(),
        refundId: command.refundId,
      };
    case "wallet.receive_credit":
      return {
        ...stamp,
        type: "wallet.credit_received",
        amountMicros: command.amountMicros.toString(),
        subscriptionId: command.subscriptionId,
      };
    case "wallet.freeze":
      return { ...stamp, type: "wallet.frozen", amountMicros: "0", reason: command.reason };
    case "wallet.unfreeze":
      return { ...stamp, type: "wallet.unfrozen", amountMicros: "0" };
  }
}

/**
 * A usage batch describes hundreds of these: built without the shared stamp's spread, keys in sorted
 * order so the record's canonical JSON is the native JSON.stringify. The event itself stays in the
 * command (UsageDetail).
 */
function usageFactOf(
  command: { transactionId: string; amountMicros: bigint },
  after: WalletContext,
  type: "usage.charged" | "usage.accrued",
  currency?: string,
): WalletFact {
  const amountMicros = command.amountMicros.toString();
  const availableAfterMicros = availableOf(after).toString();
  const balanceAfterMicros = after.balanceMicros.toString();
  const { transactionId } = command;
  return currency === undefined
    ? { amountMicros, availableAfterMicros, balanceAfterMicros, transactionId, type }
    : { amountMicros, availableAfterMicros, balanceAfterMicros, currency, transactionId, type };
}

function heldAmount(context: WalletContext, reservationId: string): bigint {
  const reservation = context.reservations[reservationId];
  if (reservation === undefined)
    throw new Error(`reservation ${reservationId} was not held before the command`);
  return reservation.amountMicros;
}

function expiryOf(context: WalletContext, reservationId: string): number {
  const reservation = context.reservations[reservationId];
  if (reservation === undefined)
    throw new Error(`reservation ${reservationId} was not held before the command`);
  return reservation.expiresAt;
}
