import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { describe, expect, it } from "vitest";
import {
  formatFen,
  notFapiaoLabel,
  notFapiaoStatement,
  renderInvoicePdf,
  type InvoiceLine,
} from "../effects/index.js";
import { invoiceWithLinesForTests, paidInvoiceForTests, sampleInvoiceForTests } from "../effects/testing.js";

/** The text of each page as pdfjs reads it back, one drawn string per line. */
async function pageTexts(pdf: Uint8Array): Promise<string[]> {
  const document = await getDocument({ data: new Uint8Array(pdf), isEvalSupported: false }).promise;
  const pages: string[] = [];
  for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber++) {
    const content = await (await document.getPage(pageNumber)).getTextContent();
    pages.push(content.items.map((item) => ("str" in item ? item.str : "")).join("\n"));
  }
  await document.destroy();
  return pages;
}

/** Wrapped lines break sentences at arbitrary points; compare without whitespace. */
const compact = (text: string): string => text.replace(/\s+/g, "");

function line(index: number, amountFen: bigint): InvoiceLine {
  return {
    description: `Line ${String(index).padStart(2, "0")} usage`,
    quantity: "1",
    unitAmount: "1.00",
    amountFen,
  };
}

describe("renderInvoicePdf", () => {
  describe("given a finalized invoice with Chinese and English names, three lines and an FX note", () => {
    it("shows the names (including 𠮷), the number, the totals, the FX note and the not-a-fapiao statement", async () => {
      const invoice = sampleInvoiceForTests();
      const pages = await pageTexts(await renderInvoicePdf(invoice));
      expect(pages).toHaveLength(1);
      const text = compact(pages[0] ?? "");
      for (const expected of [
        "北京某某科技有限公司",
        "Beijing Mouse Technology Co., Ltd.",
        "张三 𠮷野",
        "Zhang San",
        "BM-TEST-000042",
        "¥1,490.00",
        "¥960.00",
        "¥0.0008",
        "1,200,000",
        "模型调用（输入）tokens",
        invoice.fxNote ?? "",
        notFapiaoLabel,
        notFapiaoStatement.zh,
        notFapiaoStatement.en,
      ]) {
        expect(text).toContain(compact(expected));
      }
    });

    it("renders the same bytes every time", async () => {
      const first = await renderInvoicePdf(sampleInvoiceForTests());
      const second = await renderInvoicePdf(sampleInvoiceForTests());
      expect(Buffer.compare(first, second)).toBe(0);
    });
  });

  describe("given a paid invoice", () => {
    it("shows the channel, the transaction id and nothing left to pay", async () => {
      const text = compact((await pageTexts(await renderInvoicePdf(paidInvoiceForTests()))).join("\n"));
      for (const expected of [
        "微信支付 WeChat Pay",
        "4200002345202611271234567890",
        "已付清 Paid in full",
        "¥0.00",
      ]) {
        expect(text).toContain(compact(expected));
      }
    });
  });

  describe("given 40 lines", () => {
    it("paginates, repeating the header and the table header on every page", async () => {
      const lines = Array.from({ length: 40 }, (_, index) => line(index + 1, 100n));
      const pages = await pageTexts(await renderInvoicePdf(invoiceWithLinesForTests(lines)));
      expect(pages.length).toBeGreaterThanOrEqual(2);
      for (const page of pages) {
        expect(page).toContain("BM-TEST-000042");
        expect(page).toContain("北京某某科技有限公司");
        expect(page).toContain("项目 Description");
        expect(compact(page)).toContain(compact(notFapiaoStatement.zh));
      }
      const all = pages.join("\n");
      for (let index = 1; index <= 40; index++) {
        expect(all.split(`Line ${String(index).padStart(2, "0")} usage`)).toHaveLength(2);
      }
      expect(compact(pages.at(-1) ?? "")).toContain(compact("应付金额 Amount due"));
    });

    it("keeps 25 single-line lines on one page", async () => {
      const lines = Array.from({ length: 25 }, (_, index) => line(index + 1, 100n));
      expect(await pageTexts(await renderInvoicePdf(invoiceWithLinesForTests(lines)))).toHaveLength(1);
    });
  });

  describe("given extreme amounts", () => {
    it("prints 1 fen and 99,999,999,999 fen exactly", async () => {
      const invoice = invoiceWithLinesForTests([line(1, 1n), line(2, 99_999_999_999n)]);
      const text = (await pageTexts(await renderInvoicePdf(invoice))).join("\n");
      expect(text).toContain("¥0.01");
      expect(text).toContain("¥999,999,999.99");
      expect(text).toContain("¥1,000,000,000.00");
    });
  });

  describe("given totals that do not agree with the lines", () => {
    it("refuses to render", async () => {
      const invoice = { ...sampleInvoiceForTests(), subtotalFen: 1n };
      await expect(renderInvoicePdf(invoice)).rejects.toThrow(/assertion failed/);
    });
  });
});

describe("formatFen", () => {
  it("formats through bigint only, exact beyond 2^53", () => {
    expect(formatFen(0n)).toBe("¥0.00");
    expect(formatFen(1n)).toBe("¥0.01");
    expect(formatFen(149_000n)).toBe("¥1,490.00");
    expect(formatFen(99_999_999_999n)).toBe("¥999,999,999.99");
    expect(formatFen(9_007_199_254_740_993n)).toBe("¥90,071,992,547,409.93");
    expect(formatFen(-1_000n)).toBe("-¥10.00");
  });
});
