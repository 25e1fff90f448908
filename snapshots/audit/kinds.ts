import { invoiceKind } from "../../machines/invoiceKind.js";
import { invoiceNumbersKind } from "../../machines/invoiceNumbersKind.js";
import { paymentKind } from "../../machines/paymentOrderKind.js";
import { purchaseKind } from "../../machines/purchaseKind.js";
import { subscriptionKind } from "../../machines/subscriptionKind.js";
import { walletKind } from "../../machines/walletKind.js";
import type { AnyKind } from "../replay.js";

/** Entity kinds with a machine, by the prefix of their entity name (`wallet:<customerId>`). */
const replayable: Record<string, AnyKind> = {
  wallet: walletKind as unknown as AnyKind,
  invoice: invoiceKind as unknown as AnyKind,
  payment: paymentKind as unknown as AnyKind,
  subscription: subscriptionKind as unknown as AnyKind,
  purchase: purchaseKind as unknown as AnyKind,
  invoicenumbers: invoiceNumbersKind as unknown as AnyKind,
};

export function kindOfEntity(entity: string): { kind: AnyKind; entityId: string } | undefined {
  const colon = entity.indexOf(":");
  if (colon <= 0) return undefined;
  const kind = replayable[entity.slice(0, colon)];
  return kind ? { kind, entityId: entity.slice(colon + 1) } : undefined;
}

export function kindNamed(name: string): AnyKind | undefined {
  return Object.values(replayable).find((kind) => kind.name === name);
}
