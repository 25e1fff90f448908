import type { InvoicePayment, InvoiceStatus, PartyName } from "./invoiceDocument.js";

/**
 * Bilingual wording shared by the PDF and the email. A foreign seller cannot issue a fapiao, so
 * "发票" appears only in the title 商业发票 and in the statements that say what this is not;
 * everywhere else the document is a 账单 (bill).
 */
export const notFapiaoStatement = {
  zh: "本单据为商业发票（收据），非中国增值税发票（发票），不能用于增值税抵扣，也不能替代发票报销入账。",
  en:
    "Commercial invoice / receipt, not a PRC fapiao (VAT invoice): it cannot be used for VAT deduction " +
    "or in place of a fapiao for reimbursement.",
} as const;

/** The label under the title, as the spec words it. */
export const notFapiaoLabel = "非增值税发票 / not a PRC fapiao";

export const titleLabel = { en: "Invoice", zh: "商业发票" } as const;

export const statusLabels: Record<InvoiceStatus, { en: string; zh: string }> = {
  draft: { en: "Draft", zh: "草稿" },
  finalized: { en: "Open", zh: "待支付" },
  paid: { en: "Paid", zh: "已支付" },
  voided: { en: "Void", zh: "已作废" },
};

export const channelLabels: Record<InvoicePayment["channel"], { en: string; zh: string }> = {
  wechat_pay: { en: "WeChat Pay", zh: "微信支付" },
  alipay: { en: "Alipay", zh: "支付宝" },
};

/** "zh en" labels, Chinese first, as read on a Chinese document. */
export const fieldLabels = {
  billTo: "付款方 Bill to",
  amountDue: "应付金额 Amount due",
  paidInFull: "已付清 Paid in full",
  dueOn: "到期日 Due",
  invoiceNumber: "账单编号 Invoice no.",
  issueDate: "开具日期 Issue date",
  dueDate: "到期日 Due date",
  period: "服务期间 Service period",
  description: "项目 Description",
  quantity: "数量 Qty",
  unitAmount: "单价 Unit price",
  amount: "金额 Amount",
  subtotal: "小计 Subtotal",
  creditApplied: "账户余额抵扣 Account credit",
  total: "合计 Total",
  amountPaid: "已付金额 Amount paid",
  payment: "支付信息 Payment",
  transactionId: "交易单号 Transaction ID",
  paidAt: "支付时间 Paid at",
  exchangeRate: "汇率说明 Exchange rate",
  registrationNumber: "注册号 Reg. no.",
  taxId: "统一社会信用代码 USCC",
  continued: "续页 continued",
} as const;

/** The names of a party in reading order: Chinese, then English. */
export function partyNames(party: PartyName): string[] {
  return [party.nameZh, party.nameEn].filter((name): name is string => name !== undefined && name.length > 0);
}

/** One name for tight places, preferring the given language. */
export function partyName(party: PartyName, prefer: "zh" | "en"): string {
  const names = prefer === "zh" ? [party.nameZh, party.nameEn] : [party.nameEn, party.nameZh];
  return names.find((name) => name !== undefined && name.length > 0) ?? "";
}

export function formatPeriod(period: { start: string; end: string }): string {
  return `${period.start} – ${period.end}`;
}
