export { renderInvoicePdf } from "./renderInvoicePdf.js";
export { formatFen, formatDecimalYuan, formatQuantity } from "./formatMoney.js";
export { notFapiaoStatement, notFapiaoLabel } from "./labels.js";
export type {
  InvoiceDocument,
  InvoiceStatus,
  InvoiceMerchant,
  InvoiceCustomer,
  InvoiceLine,
  InvoicePayment,
  PartyName,
} from "./invoiceDocument.js";
