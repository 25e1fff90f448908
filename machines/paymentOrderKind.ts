import { fromLoggable, toLoggable } from "../domain/bigintJson.js";
import type { Environment } from "../domain/environment.js";
import type { EntityKind, EntityState } from "./kind.js";
import { paymentInitialContext, paymentMachine, paymentMachineVersion } from "./paymentOrder.js";
import { paymentFactOf } from "./paymentOrderFacts.js";
import { paymentPostingsOf } from "./paymentOrderPostings.js";
import type { PaymentCommand, PaymentContext, PaymentFact } from "./paymentOrderTypes.js";

export const paymentEntity = (paymentId: string) => `payment:${paymentId}`;

export const paymentKind: EntityKind<typeof paymentMachine, PaymentContext, PaymentCommand, PaymentFact> = {
  name: "payment",
  machine: paymentMachine,
  version: paymentMachineVersion,
  initialState: () => ({ value: "new", context: paymentInitialContext }),
  toSnapshot: (state: EntityState<PaymentContext>) => paymentMachine.resolveState(state),
  fromSnapshot: (snapshot) => ({ value: snapshot.value as string, context: snapshot.context }),
  factOf: paymentFactOf,
  postingsOf: (fact, owner) =>
    paymentPostingsOf(fact, { env: owner.env as Environment, merchantId: owner.merchantId ?? "" }),
  commandFromLog: (logged) => fromLoggable(logged) as PaymentCommand,
  contextToJson: (context) => toLoggable(context),
  contextFromJson: (json) => fromLoggable(json) as PaymentContext,
};
