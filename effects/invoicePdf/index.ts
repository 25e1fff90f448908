export { renderInvoicePdf } from "./renderInvoicePdf.js";
export { formatFen, formatDecimalYuan, formatQuantity } from "./formatMoney.js";
export { channelLabels, formatPeriod, notFapiaoLabel, notFapiaoStatement, partyName } from "./labels.js";
export type {
  InvoiceDocument,
  InvoiceStatus,
  InvoiceMerchant,
  InvoiceCustomer,
  InvoiceLine,
  InvoicePayment,
  PartyName,
} from "./invoiceDocument.js";
