import { describe, expect, it } from "vitest";
import { hasInvoiceDocument, invoiceDocumentOf, type InvoiceSourceData } from "../actors/index.js";
import { renderInvoicePdf } from "../effects/index.js";
import { invoiceKind } from "../machines/invoiceKind.js";
import type { InvoiceCommand, InvoiceLine } from "../machines/invoiceTypes.js";
import { scenario } from "./support/kindGiven.js";

const { given } = scenario(invoiceKind);

/** 2026-11-01 00:00 and 2026-12-01 00:00 in Beijing (UTC+8). */
const novemberStart = Date.parse("2026-10-31T16:00:00Z");
const decemberStart = Date.parse("2026-11-30T16:00:00Z");
/** 2026-11-27 23:30 in Beijing: still the 27th there, already past midnight nowhere else that matters. */
const finalizedAt = Date.parse("2026-11-27T15:30:00Z");
const dueAt = finalizedAt + 14 * 24 * 3600 * 1000;

const draft = (lines: InvoiceLine[], creditAppliedFen = 0n): InvoiceCommand => ({
  type: "invoice.draft",
  invoiceId: "inv_1",
  customerId: "cus_1",
  currency: "CNY",
  purpose: "subscription",
  lines,
  creditAppliedFen,
  subscriptionId: "sub_1",
  purchaseId: null,
  periodStart: novemberStart,
  periodEnd: decemberStart,
  at: finalizedAt - 1_000,
});
const finalize: InvoiceCommand = {
  type: "invoice.finalize",
  number: "BM-TEST-000007",
  addLines: [],
  dueAt,
  at: finalizedAt,
};

function sourceData(
  commands: InvoiceCommand[],
  overrides: Partial<InvoiceSourceData> = {},
): InvoiceSourceData {
  return {
    env: "test",
    merchantId: "mer_1",
    invoice: given(...commands),
    customer: { name: "张三 𠮷野", email: "zhangsan@example.com", externalId: "user_42" },
    merchant: { name: "北京某某科技有限公司" },
    payment: null,
    ...overrides,
  };
}

const plan: InvoiceLine = {
  description: "Pro plan, November 2026",
  amountFen: 49_900n,
  kind: "subscription",
};
const tokens: InvoiceLine = {
  description: "Model API tokens",
  amountFen: 96_000n,
  kind: "usage",
  quantity: "1200000",
  unitAmount: "0.0008",
};

describe("invoiceDocumentOf", () => {
  describe("given a finalized subscription invoice with Chinese names and account credit", () => {
    const data = sourceData([draft([plan, tokens], 10_000n), finalize]);
    const document = invoiceDocumentOf(data);

    it("puts Chinese names on the Chinese side, in Beijing dates, with the period's last day", () => {
      expect(document).toMatchObject({
        number: "BM-TEST-000007",
        status: "finalized",
        issueDate: "2026-11-27",
        dueDate: "2026-12-11",
        period: { start: "2026-11-01", end: "2026-11-30" },
        merchant: { nameZh: "北京某某科技有限公司" },
        customer: { nameZh: "张三 𠮷野", email: "zhangsan@example.com" },
        currency: "CNY",
      });
      expect(document.merchant.nameEn).toBeUndefined();
    });

    it("defaults a line's quantity to 1 and its unit amount to its amount", () => {
      expect(document.lines).toEqual([
        { description: plan.description, quantity: "1", unitAmount: "499.00", amountFen: 49_900n },
        { description: tokens.description, quantity: "1200000", unitAmount: "0.0008", amountFen: 96_000n },
      ]);
    });

    it("shows no unit price for a usage line whose quantity × unit price is not its amount", () => {
      // As postpaid usage lines were stored before: the total in unitAmount.
      const summed: InvoiceLine = { ...tokens, quantity: "101", unitAmount: "100.00", amountFen: 10_000n };
      const [line] = invoiceDocumentOf(sourceData([draft([summed], 0n), finalize])).lines;
      expect(line).toMatchObject({ quantity: "101", unitAmount: null, amountFen: 10_000n });
    });

    it("shows the credit applied as the discount: subtotal − credit = total, all of it due", () => {
      expect(document).toMatchObject({
        subtotalFen: 145_900n,
        creditAppliedFen: 10_000n,
        totalFen: 135_900n,
        amountPaidFen: 0n,
        amountDueFen: 135_900n,
      });
      expect(data.invoice.context.amountFen).toBe(document.totalFen);
    });

    it("renders (the effects' assertions accept it)", async () => {
      await expect(renderInvoicePdf(document)).resolves.toBeInstanceOf(Uint8Array);
    });
  });

  describe("given the invoice paid by WeChat Pay", () => {
    const paidAt = Date.parse("2026-11-28T02:05:00Z");
    const pay: InvoiceCommand = { type: "invoice.pay", paymentId: "pay_1", amountFen: 145_900n, at: paidAt };
    const data = sourceData([draft([plan, tokens]), finalize, pay], {
      payment: { channel: "wechat_pay", transactionId: "4200002345202611281234567890", paidAt },
    });

    it("is paid in full, with the channel, the transaction id and the Beijing time", () => {
      expect(invoiceDocumentOf(data)).toMatchObject({
        status: "paid",
        amountPaidFen: 145_900n,
        amountDueFen: 0n,
        payment: {
          channel: "wechat_pay",
          transactionId: "4200002345202611281234567890",
          paidAt: "2026-11-28 10:05 CST",
        },
      });
    });

    it("as of finalization (the email that sent it) is still due, without the payment", () => {
      const document = invoiceDocumentOf(data, "finalized");
      expect(document).toMatchObject({ status: "finalized", amountPaidFen: 0n, amountDueFen: 145_900n });
      expect(document.payment).toBeUndefined();
    });
  });

  describe("given a zero-total invoice (credit covers it all)", () => {
    const data = sourceData([draft([plan], 49_900n), finalize]);

    it("is paid at finalization, with nothing paid by a channel and nothing due", async () => {
      expect(data.invoice.value).toBe("paid");
      const document = invoiceDocumentOf(data);
      expect(document).toMatchObject({
        status: "paid",
        subtotalFen: 49_900n,
        creditAppliedFen: 49_900n,
        totalFen: 0n,
        amountPaidFen: 0n,
        amountDueFen: 0n,
      });
      expect(document.payment).toBeUndefined();
      await expect(renderInvoicePdf(document)).resolves.toBeInstanceOf(Uint8Array);
    });
  });

  describe("given a proration credit line on a plan change", () => {
    it("keeps the negative line, formatted as a negative unit amount", () => {
      const credit: InvoiceLine = {
        description: "Unused time on Basic",
        amountFen: -1_234n,
        kind: "proration",
      };
      const document = invoiceDocumentOf(sourceData([draft([plan, credit]), finalize]));
      expect(document.lines[1]).toEqual({
        description: "Unused time on Basic",
        quantity: "1",
        unitAmount: "-12.34",
        amountFen: -1_234n,
      });
      expect(document.subtotalFen).toBe(48_666n);
    });
  });

  describe("given English names and a customer without a name", () => {
    it("uses the English side, and the customer's external id as the name", () => {
      const document = invoiceDocumentOf(
        sourceData([draft([plan]), finalize], {
          customer: { name: null, email: null, externalId: "user_42" },
          merchant: { name: "Mouse Tech" },
        }),
      );
      expect(document.merchant).toEqual({ nameEn: "Mouse Tech" });
      expect(document.customer).toEqual({ nameEn: "user_42", email: "" });
    });
  });

  describe("given a purchase (no period)", () => {
    it("shows the issue day as the period", () => {
      const purchase = {
        ...draft([plan]),
        purpose: "purchase",
        subscriptionId: null,
        purchaseId: "pur_1",
        periodStart: null,
        periodEnd: null,
      } as InvoiceCommand;
      expect(invoiceDocumentOf(sourceData([purchase, finalize])).period).toEqual({
        start: "2026-11-27",
        end: "2026-11-27",
      });
    });
  });

  describe("given a draft or a top-up receipt", () => {
    it("has no document", () => {
      const topUp: InvoiceCommand = {
        type: "invoice.open",
        invoiceId: "inv_2",
        customerId: "cus_1",
        currency: "CNY",
        lines: [{ description: "Top-up", amountFen: 10_000n, kind: "top_up" }],
        purpose: "top_up",
        at: finalizedAt,
      };
      expect(hasInvoiceDocument(given(draft([plan])))).toBe(false);
      expect(hasInvoiceDocument(given(topUp))).toBe(false);
      expect(() => invoiceDocumentOf(sourceData([draft([plan])]))).toThrow(/not finalized/);
    });
  });
});
