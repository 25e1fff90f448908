import { fromLoggable, toLoggable } from "../domain/bigintJson.js";
import { accounts } from "../domain/accounts.js";
import type { Environment } from "../domain/environment.js";
import { fenToMicros } from "../domain/money.js";
import { posting, type Posting } from "../domain/postings.js";
import type { RecordOwner } from "./kind.js";
import type { EntityKind, EntityState } from "./kind.js";
import {
  initialSubscriptionContext,
  subscriptionMachine,
  subscriptionMachineVersion,
} from "./subscription.js";
import { subscriptionFactOf } from "./subscriptionFacts.js";
import type { SubscriptionCommand, SubscriptionContext, SubscriptionFact } from "./subscriptionTypes.js";

export const subscriptionEntity = (subscriptionId: string) => `subscription:${subscriptionId}`;

/**
 * A subscription's invoices carry its money; the one posting of its own is the credit for unused time
 * when a downgrade takes effect at once: account credit +X (taken off the next invoice), billed
 * revenue −X (that time was billed and is given back).
 */
export function subscriptionPostingsOf(fact: SubscriptionFact, owner: RecordOwner): Posting[] {
  const credit = BigInt(fact.creditFen ?? "0");
  if (fact.type !== "subscription.price_changed" || credit <= 0n) return [];
  const env = owner.env as Environment;
  return [
    posting(accounts.customerAccountCredit(env, fact.customerId), "CNY", fenToMicros(credit)),
    posting(accounts.merchantBilledRevenue(env, owner.merchantId ?? ""), "CNY", -fenToMicros(credit)),
  ];
}

export const subscriptionKind: EntityKind<
  typeof subscriptionMachine,
  SubscriptionContext,
  SubscriptionCommand,
  SubscriptionFact
> = {
  name: "subscription",
  machine: subscriptionMachine,
  version: subscriptionMachineVersion,
  initialState: () => ({ value: "new", context: initialSubscriptionContext() }),
  toSnapshot: (state: EntityState<SubscriptionContext>) => subscriptionMachine.resolveState(state),
  fromSnapshot: (snapshot) => ({ value: snapshot.value as string, context: snapshot.context }),
  factOf: subscriptionFactOf,
  postingsOf: subscriptionPostingsOf,
  commandFromLog: (logged) => fromLoggable(logged) as SubscriptionCommand,
  contextToJson: (context) => toLoggable(context),
  contextFromJson: (json) => fromLoggable(json) as SubscriptionContext,
};
