import { fromLoggable, toLoggable } from "../domain/bigintJson.js";
import type { EntityKind, EntityState } from "./kind.js";
import { initialPurchaseContext, purchaseMachine, purchaseMachineVersion } from "./purchase.js";
import { purchaseFactOf } from "./purchaseFacts.js";
import type { PurchaseCommand, PurchaseContext, PurchaseFact } from "./purchaseTypes.js";

export const purchaseEntity = (purchaseId: string) => `purchase:${purchaseId}`;

/** A purchase moves no money itself: its invoice's payment carries the postings. */
export const purchasePostingsOf = (_fact: PurchaseFact) => [];

export const purchaseKind: EntityKind<
  typeof purchaseMachine,
  PurchaseContext,
  PurchaseCommand,
  PurchaseFact
> = {
  name: "purchase",
  machine: purchaseMachine,
  version: purchaseMachineVersion,
  initialState: () => ({ value: "new", context: initialPurchaseContext() }),
  toSnapshot: (state: EntityState<PurchaseContext>) => purchaseMachine.resolveState(state),
  fromSnapshot: (snapshot) => ({ value: snapshot.value as string, context: snapshot.context }),
  factOf: purchaseFactOf,
  postingsOf: (fact) => purchasePostingsOf(fact),
  commandFromLog: (logged) => fromLoggable(logged) as PurchaseCommand,
  contextToJson: (context) => toLoggable(context),
  contextFromJson: (json) => fromLoggable(json) as PurchaseContext,
};
