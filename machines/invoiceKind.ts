import { fromLoggable, toLoggable } from "../domain/bigintJson.js";
import type { EntityKind, EntityState } from "./kind.js";
import { initialInvoiceContext, invoiceMachine, invoiceMachineVersion } from "./invoice.js";
import { invoiceFactOf } from "./invoiceFacts.js";
import { invoicePostingsOf } from "./invoicePostings.js";
import type { Environment } from "../domain/environment.js";
import type { InvoiceCommand, InvoiceContext, InvoiceFact } from "./invoiceTypes.js";

export const invoiceEntity = (invoiceId: string) => `invoice:${invoiceId}`;

export const invoiceKind: EntityKind<typeof invoiceMachine, InvoiceContext, InvoiceCommand, InvoiceFact> = {
  name: "invoice",
  machine: invoiceMachine,
  version: invoiceMachineVersion,
  initialState: () => ({ value: "new", context: initialInvoiceContext() }),
  toSnapshot: (state: EntityState<InvoiceContext>) => invoiceMachine.resolveState(state),
  fromSnapshot: (snapshot) => ({ value: snapshot.value as string, context: snapshot.context }),
  factOf: invoiceFactOf,
  postingsOf: (fact, owner) =>
    invoicePostingsOf(fact, { env: owner.env as Environment, merchantId: owner.merchantId ?? "" }),
  commandFromLog: (logged) => fromLoggable(logged) as InvoiceCommand,
  contextToJson: (context) => toLoggable(context),
  contextFromJson: (json) => fromLoggable(json) as InvoiceContext,
};
