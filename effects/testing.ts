/**
 * Helpers for tests only; production code imports `effects/index.ts`.
 */
import type { SentInfo, SentStore } from "./email/index.js";
import type { InvoiceDocument, InvoiceLine } from "./invoicePdf/index.js";

/**
 * A SentStore that forgets everything on restart. Production uses the LevelDB-backed store,
 * whose `markSent` is durable before it resolves.
 */
export function createInMemorySentStoreForTests(): SentStore & { sent: ReadonlyMap<string, SentInfo> } {
  const sent = new Map<string, SentInfo>();
  return {
    sent,
    wasSent: (eventId) => Promise.resolve(sent.has(eventId)),
    markSent: (eventId, info) => {
      sent.set(eventId, info);
      return Promise.resolve();
    },
  };
}

/** A finalized ¥1,490.00 invoice with Chinese and English names, three lines and an FX note. */
export function sampleInvoiceForTests(): InvoiceDocument {
  return {
    number: "BM-TEST-000042",
    status: "finalized",
    issueDate: "2026-11-27",
    dueDate: "2026-12-11",
    period: { start: "2026-11-01", end: "2026-11-30" },
    merchant: {
      nameZh: "北京某某科技有限公司",
      nameEn: "Beijing Mouse Technology Co., Ltd.",
      addressLines: ["北京市海淀区中关村大街 1 号 100080", "1 Zhongguancun St, Haidian, Beijing 100080"],
      registrationNumber: "91110108MA01ABCD2X",
      email: "billing@mouse.example",
    },
    customer: { nameZh: "张三 𠮷野", nameEn: "Zhang San", email: "zhangsan@example.com" },
    currency: "CNY",
    lines: [
      {
        description: "Model API tokens (input)",
        descriptionZh: "模型调用（输入）tokens",
        quantity: "1200000",
        unitAmount: "0.0008",
        amountFen: 96_000n,
      },
      {
        description: "Pro plan, November 2026",
        descriptionZh: "专业版套餐",
        quantity: "1",
        unitAmount: "499.00",
        amountFen: 49_900n,
      },
      { description: "Image generations", quantity: "775", unitAmount: "0.04", amountFen: 3_100n },
    ],
    subtotalFen: 149_000n,
    creditAppliedFen: 0n,
    totalFen: 149_000n,
    amountPaidFen: 0n,
    amountDueFen: 149_000n,
    fxNote: "FX locked at BOC midpoint 7.1234 + 0.50% spread = 7.1590 CNY per USD, 2026-11-27 10:00 CST",
  };
}

/** The sample invoice with other lines and totals that agree with them (nothing paid). */
export function invoiceWithLinesForTests(lines: readonly InvoiceLine[]): InvoiceDocument {
  const subtotalFen = lines.reduce((sum, line) => sum + line.amountFen, 0n);
  return {
    ...sampleInvoiceForTests(),
    lines,
    subtotalFen,
    creditAppliedFen: 0n,
    totalFen: subtotalFen,
    amountPaidFen: 0n,
    amountDueFen: subtotalFen,
  };
}

/** The sample invoice, paid in full by WeChat Pay. */
export function paidInvoiceForTests(): InvoiceDocument {
  const invoice = sampleInvoiceForTests();
  return {
    ...invoice,
    status: "paid",
    amountPaidFen: invoice.totalFen,
    amountDueFen: 0n,
    payment: {
      channel: "wechat_pay",
      transactionId: "4200002345202611271234567890",
      paidAt: "2026-11-27 10:05 CST",
    },
  };
}
