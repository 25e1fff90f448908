import { describe, expect, it } from "vitest";
import {
  classifySmtpError,
  composeInvoiceEmail,
  messageIdFor,
  notFapiaoStatement,
} from "../effects/index.js";
import { retryDelayMs } from "../effects/email/index.js";
import { paidInvoiceForTests, sampleInvoiceForTests } from "../effects/testing.js";

const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46]);

describe("composeInvoiceEmail", () => {
  describe("when an invoice is finalized", () => {
    const message = composeInvoiceEmail({
      invoice: sampleInvoiceForTests(),
      pdf,
      kind: "finalized",
      eventId: "evt_01JD6Z",
      messageIdDomain: "mail.example.test",
    });

    it("has a bilingual subject that calls it a bill (账单), never a fapiao", () => {
      expect(message.subject).toBe(
        "Invoice BM-TEST-000042 from Beijing Mouse Technology Co., Ltd. / 北京某某科技有限公司 账单 BM-TEST-000042",
      );
      expect(message.subject).not.toContain("发票");
    });

    it("addresses the customer and attaches the PDF unchanged", () => {
      expect(message.to).toBe("zhangsan@example.com");
      expect(message.attachments).toEqual([
        { filename: "invoice-BM-TEST-000042.pdf", content: pdf, contentType: "application/pdf" },
      ]);
    });

    it("says what is due in both bodies, with the not-a-fapiao statement", () => {
      for (const body of [message.text, message.html]) {
        expect(body).toContain("¥1,490.00");
        expect(body).toContain("2026-12-11");
        expect(body).toContain(notFapiaoStatement.zh);
      }
      expect(message.text).toContain(notFapiaoStatement.en);
    });

    it("derives a stable Message-ID from the event id", () => {
      expect(message.messageId).toBe("<bm.evt_01JD6Z@mail.example.test>");
      expect(message.messageId).toBe(messageIdFor("evt_01JD6Z", "mail.example.test"));
    });
  });

  describe("when an invoice is paid", () => {
    const message = composeInvoiceEmail({
      invoice: paidInvoiceForTests(),
      pdf,
      kind: "paid",
      eventId: "evt_2",
    });

    it("is a receipt naming the channel and transaction", () => {
      expect(message.subject).toContain("Receipt for invoice BM-TEST-000042");
      expect(message.subject).toContain("付款收据");
      expect(message.text).toContain("微信支付 WeChat Pay (4200002345202611271234567890)");
    });
  });

  it("escapes merchant text in the HTML body", () => {
    const invoice = sampleInvoiceForTests();
    const hostile = { ...invoice, merchant: { ...invoice.merchant, nameEn: "<script>x</script>" } };
    const message = composeInvoiceEmail({ invoice: hostile, pdf, kind: "finalized", eventId: "evt_3" });
    expect(message.html).not.toContain("<script>");
    expect(message.html).toContain("&lt;script&gt;");
  });

  it("hashes an event id that is unsafe in a header", () => {
    const id = messageIdFor("invoice.finalized:inv 42", "example.test");
    expect(id).toMatch(/^<bm\.sha256-[0-9a-f]{40}@example\.test>$/);
    expect(messageIdFor("invoice.finalized:inv 42", "example.test")).toBe(id);
  });
});

describe("classifySmtpError", () => {
  const smtpError = (fields: Record<string, unknown>): Error => Object.assign(new Error("smtp"), fields);

  it("retries 4xx replies and 503, not other 5xx replies", () => {
    expect(classifySmtpError(smtpError({ responseCode: 451 })).transient).toBe(true);
    expect(classifySmtpError(smtpError({ responseCode: 421 })).transient).toBe(true);
    expect(classifySmtpError(smtpError({ responseCode: 503 })).transient).toBe(true);
    expect(classifySmtpError(smtpError({ responseCode: 550 })).transient).toBe(false);
  });

  it("retries connection failures, not bad credentials", () => {
    expect(classifySmtpError(smtpError({ code: "ESOCKET", originalCode: "ECONNREFUSED" })).transient).toBe(
      true,
    );
    expect(classifySmtpError(smtpError({ code: "ETIMEDOUT" })).transient).toBe(true);
    expect(classifySmtpError(smtpError({ code: "EAUTH" })).transient).toBe(false);
  });
});

describe("retryDelayMs", () => {
  it("doubles per attempt up to the maximum, jittering within the upper half", () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 500, 1_500, () => 1))).toEqual([
      500, 1_000, 1_500, 1_500,
    ]);
    expect(retryDelayMs(2, 500, 30_000, () => 0)).toBe(500);
  });
});
