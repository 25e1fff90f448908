import type { EntityKind, EntityState } from "./kind.js";
import {
  invoiceNumbersMachine,
  invoiceNumbersMachineVersion,
  type InvoiceNumbersCommand,
  type InvoiceNumbersContext,
  type InvoiceNumbersFact,
} from "./invoiceNumbers.js";

export const invoiceNumbersEntity = (env: string, merchantId: string) =>
  `invoicenumbers:${env}:${merchantId}`;

export const invoiceNumbersKind: EntityKind<
  typeof invoiceNumbersMachine,
  InvoiceNumbersContext,
  InvoiceNumbersCommand,
  InvoiceNumbersFact
> = {
  name: "invoice_numbers",
  machine: invoiceNumbersMachine,
  version: invoiceNumbersMachineVersion,
  initialState: () => ({ value: "issuing", context: { issued: 0 } }),
  toSnapshot: (state: EntityState<InvoiceNumbersContext>) => invoiceNumbersMachine.resolveState(state),
  fromSnapshot: (snapshot) => ({ value: snapshot.value as string, context: snapshot.context }),
  factOf: (command, _before, after) => ({
    type: "invoice_number.taken",
    invoiceId: command.invoiceId,
    sequence: after.issued,
  }),
  postingsOf: () => [],
  commandFromLog: (logged) => logged as InvoiceNumbersCommand,
  contextToJson: (context) => context,
  contextFromJson: (json) => json as InvoiceNumbersContext,
};
