import BuffMoneyClient from "@buffmoney/sdk";
import { simpleParser, type ParsedMail } from "mailparser";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInvoiceWiring } from "../bin/invoiceWiring.js";
import { startSmtpServer, type TestSmtpServer } from "./support/invoiceMail.js";
import { startTestServer } from "./support/server.js";

let smtp: TestSmtpServer;
let wiring: ReturnType<typeof createInvoiceWiring>;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  wiring = createInvoiceWiring({
    smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
    from: "AI 写作 <billing@writer.example>",
    mailer: { sendAttemptsMax: 1 },
    mail: { retryDelayMsBase: 20, retryDelayMsMax: 100 },
  });
  server = await startTestServer({ collect: true, invoiceEffects: wiring.effects });
});

afterAll(async () => {
  await server.remove();
  wiring.close();
  await smtp.close();
});

async function pdfText(pdf: Uint8Array): Promise<string> {
  const document = await getDocument({ data: new Uint8Array(pdf), isEvalSupported: false }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= document.numPages; n++) {
    const content = await (await document.getPage(n)).getTextContent();
    pages.push(content.items.map((item) => ("str" in item ? item.str : "")).join(""));
  }
  await document.destroy();
  return pages.join("").replace(/\s+/g, "");
}

async function mailsFor(to: string, count: number): Promise<ParsedMail[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const parsed = await Promise.all(smtp.received.map((raw) => simpleParser(raw)));
    const mine = parsed.filter((mail) => mail.to && JSON.stringify(mail.to).includes(to));
    if (mine.length >= count) return mine;
    if (Date.now() > deadline) throw new Error(`${mine.length} of ${count} emails to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("invoice email and PDF for a purchase", () => {
  it("emails the finalized invoice and the paid receipt, each with the PDF the API serves", async () => {
    const created = await server.admin.merchants.create({ name: "北京智写科技 Zhixie Tech" });
    const client = new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
    const product = await client.products.create({ name: "Writer Lifetime", nameZh: "智能写作终身版" });
    const price = await client.prices.create({
      productId: product.id,
      type: "one_time",
      unitAmount: "99.00",
    });
    await client.customers.create({ externalId: "zs", name: "张三", email: "zhangsan@example.com" });

    const purchase = await client.purchases.create({ customerExternalId: "zs", priceId: price.id });
    const [finalized] = await mailsFor("zhangsan@example.com", 1);
    const invoice = await client.invoices.retrieve(purchase.invoiceId);
    expect(invoice.number).toMatch(/^TEST-INV-\d{6}$/);
    expect(finalized?.subject).toContain(invoice.number ?? "");
    const downloaded = await client.invoices.pdf(purchase.invoiceId);
    const attached = finalized?.attachments.find((a) => a.contentType === "application/pdf");
    expect(attached && Buffer.compare(attached.content, Buffer.from(downloaded))).toBe(0);
    const text = await pdfText(downloaded);
    expect(text).toContain("张三");
    expect(text).toContain("智能写作终身版");
    expect(text).toContain(invoice.number ?? "");
    expect(text).toContain("99.00");

    await client.invoices.pay(purchase.invoiceId, { channel: "alipay_page" });
    await client.sandbox.simulatePayment(purchase.invoiceId, { outcome: "succeeded" });
    const mails = await mailsFor("zhangsan@example.com", 2);
    const receipt = mails[1];
    const paidPdf = await client.invoices.pdf(purchase.invoiceId);
    const receiptPdf = receipt?.attachments.find((a) => a.contentType === "application/pdf");
    expect(receiptPdf && Buffer.compare(receiptPdf.content, Buffer.from(paidPdf))).toBe(0);
    expect(Buffer.compare(Buffer.from(paidPdf), Buffer.from(downloaded))).not.toBe(0);
    expect(await pdfText(paidPdf)).toMatch(/paid|已付/i);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await mailsFor("zhangsan@example.com", 2)).toHaveLength(2);
  });
});
