import { describe, expect, it } from "vitest";
import { invoiceKind, type InvoiceCommand } from "../machines/index.js";
import { scenario } from "./support/kindGiven.js";

const { given, when } = scenario(invoiceKind);

const open = (...amounts: bigint[]): InvoiceCommand => ({
  type: "invoice.open",
  invoiceId: "inv_1",
  customerId: "cus_1",
  currency: "CNY",
  lines: amounts.map((amountFen, i) => ({ description: `line ${i}`, amountFen })),
  purpose: "top_up",
  at: 1_000,
});
const pay = (amountFen: bigint): InvoiceCommand => ({
  type: "invoice.pay",
  paymentId: "pay_1",
  amountFen,
  at: 2_000,
});
const voidIt: InvoiceCommand = { type: "invoice.void", reason: "expired", at: 3_000 };

describe("invoice machine", () => {
  it("given nothing, when opened with lines, then invoice.opened with their sum", () => {
    const result = when(given(), open(6_000n, 4_000n));
    expect(result).toMatchObject({
      ok: true,
      state: { value: "open" },
      fact: { type: "invoice.opened", amountFen: "10000", currency: "CNY", purpose: "top_up" },
    });
  });

  it("given nothing, when opened without lines or with a zero line, then invoice_lines_invalid", () => {
    expect(when(given(), open())).toEqual({ ok: false, code: "invoice_lines_invalid" });
    expect(when(given(), open(100n, 0n))).toEqual({ ok: false, code: "invoice_lines_invalid" });
  });

  it("given an open invoice, when paid in full, then paid and it names the payment", () => {
    const result = when(given(open(10_000n)), pay(10_000n));
    expect(result).toMatchObject({
      ok: true,
      state: { value: "paid" },
      fact: { type: "invoice.paid", paymentId: "pay_1" },
    });
  });

  it("given an open invoice, when paid another amount, then amount_mismatch and it stays open", () => {
    expect(when(given(open(10_000n)), pay(9_999n))).toEqual({ ok: false, code: "amount_mismatch" });
  });

  it("given an open invoice, when voided, then void with the reason", () => {
    const result = when(given(open(100n)), voidIt);
    expect(result).toMatchObject({
      ok: true,
      state: { value: "void" },
      fact: { type: "invoice.voided", reason: "expired" },
    });
  });

  it("given a paid invoice, when paid again, voided or opened again, then refused", () => {
    const paid = given(open(100n), pay(100n));
    expect(when(paid, pay(100n))).toEqual({ ok: false, code: "invoice_not_open" });
    expect(when(paid, voidIt)).toEqual({ ok: false, code: "invoice_not_open" });
    expect(when(paid, open(100n))).toEqual({ ok: false, code: "invoice_exists" });
  });

  it("given a void invoice, when paid, then invoice_not_open", () => {
    expect(when(given(open(100n), voidIt), pay(100n))).toEqual({ ok: false, code: "invoice_not_open" });
  });
});
