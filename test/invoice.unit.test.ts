import { describe, expect, it } from "vitest";
import { unbalancedCurrencies, type Posting } from "../domain/postings.js";
import {
  invoiceKind,
  invoicePostingsOf,
  type InvoiceCommand,
  type InvoiceFact,
  type InvoiceLine,
} from "../machines/index.js";
import { invoiceLinesMax } from "../machines/invoice.js";
import { scenario } from "./support/kindGiven.js";
import { refusalOf } from "./support/kindRefusal.js";

const { given, when } = scenario(invoiceKind);
const refusal = refusalOf(invoiceKind);

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

describe("invoice machine: top-up receipts", () => {
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

  it("given a paid top-up receipt, when refunded, then refused: a receipt's refund is the wallet's", () => {
    expect(refusal(given(open(100n), pay(100n)), refund(100n))).toBe("refund_exceeds_invoice");
  });

  it("posts nothing for a top-up receipt: the wallet's credit is its customer side", () => {
    const opened = accepted(when(given(), open(100n)));
    const paid = accepted(when(opened.state, pay(100n)));
    const voided = accepted(when(opened.state, voidIt));
    for (const fact of [opened.fact, paid.fact, voided.fact]) expect(postingsOf(fact)).toEqual([]);
  });
});

// ── Billing invoices ────────────────────────────────────────────────────────────────────────────────

const fee = (amountFen: bigint, kind: InvoiceLine["kind"] = "subscription"): InvoiceLine => ({
  description: `${kind} ${amountFen}`,
  amountFen,
  kind,
});
const usageLine = (amountFen: bigint): InvoiceLine => ({
  description: "Usage: tokens_output",
  amountFen,
  kind: "usage",
  quantity: "1000000",
  unitAmount: "0.0002",
});

const billingFields = {
  invoiceId: "inv_b",
  customerId: "cus_1",
  currency: "CNY",
  purpose: "subscription",
  subscriptionId: "sub_1",
  purchaseId: null,
  periodStart: 10_000,
  periodEnd: 40_000,
} as const;

const draft = (lines: InvoiceLine[], creditAppliedFen = 0n): InvoiceCommand => ({
  type: "invoice.draft",
  ...billingFields,
  lines,
  creditAppliedFen,
  at: 10_000,
});
const issue = (lines: InvoiceLine[], creditAppliedFen = 0n, number = "TEST-INV-000007"): InvoiceCommand => ({
  type: "invoice.issue",
  ...billingFields,
  lines,
  creditAppliedFen,
  number,
  dueAt: 13_000,
  at: 10_000,
});
const finalize = (addLines: InvoiceLine[] = [], number = "TEST-INV-000008"): InvoiceCommand => ({
  type: "invoice.finalize",
  number,
  addLines,
  dueAt: 14_000,
  at: 11_000,
});
const markUncollectible: InvoiceCommand = {
  type: "invoice.mark_uncollectible",
  reason: "dunning_ended",
  at: 30_000,
};
const cancelVoid: InvoiceCommand = { type: "invoice.void", reason: "subscription_canceled", at: 12_000 };
function refund(amountFen: bigint, refundId = "re_1"): InvoiceCommand {
  return { type: "invoice.refund", refundId, amountFen, at: 20_000 };
}
const restore = (amountFen: bigint, refundId = "re_1"): InvoiceCommand => ({
  type: "invoice.restore_refund",
  refundId,
  amountFen,
  at: 21_000,
});

type Result = ReturnType<typeof when>;
function accepted(result: Result) {
  if (!result.ok) throw new Error(`refused: ${result.code}`);
  return result;
}

const owner = { env: "test", merchantId: "mer_1" } as const;
const postingsOf = (fact: InvoiceFact) => invoicePostingsOf(fact, owner);
/** Postings as `account suffix → micros`, e.g. `customer:invoices_due → -1490000`. */
const byAccount = (postings: readonly Posting[]) =>
  Object.fromEntries(
    postings.map((p) => [
      p.account.replace(/^test:(customer|merchant):[^:]+:/, "$1:"),
      BigInt(p.amountMicros),
    ]),
  );
const micros = (fen: bigint) => fen * 10_000n;

function expectBalanced(postings: readonly Posting[]) {
  expect([...unbalancedCurrencies(postings)]).toEqual([]);
  expect(postings.every((p) => p.currency === "CNY" && BigInt(p.amountMicros) !== 0n)).toBe(true);
}

describe("invoice machine: draft and finalize (renewals)", () => {
  it("given nothing, when drafted, then a draft without a number whose total is the lines less the credit", () => {
    const result = accepted(when(given(), draft([fee(14_900n)], 2_000n)));
    expect(result.state.value).toBe("draft");
    expect(result.state.context).toMatchObject({
      number: null,
      amountFen: 12_900n,
      creditAppliedFen: 2_000n,
      finalizedAt: null,
      subscriptionId: "sub_1",
      periodStart: 10_000,
      periodEnd: 40_000,
    });
    expect(result.fact).toMatchObject({
      type: "invoice.drafted",
      amountFen: "12900",
      creditAppliedFen: "2000",
      purpose: "subscription",
      subscriptionId: "sub_1",
    });
    expect(result.fact.number).toBeUndefined();
    expect(postingsOf(result.fact)).toEqual([]);
  });

  it("given a draft, when finalized, then open with its number, the added lines and the new total", () => {
    const drafted = given(draft([fee(14_900n)], 1_000n));
    const result = accepted(when(drafted, finalize([usageLine(250n)])));
    expect(result.state.value).toBe("open");
    expect(result.state.context).toMatchObject({
      number: "TEST-INV-000008",
      amountFen: 14_150n,
      finalizedAt: 11_000,
      dueAt: 14_000,
      paidAt: null,
    });
    expect(result.state.context.lines.map((line) => [line.kind, line.amountFen])).toEqual([
      ["subscription", 14_900n],
      ["usage", 250n],
    ]);
    expect(result.fact).toMatchObject({
      type: "invoice.finalized",
      number: "TEST-INV-000008",
      amountFen: "14150",
      creditAppliedFen: "1000",
      status: "open",
      lines: [
        { amountFen: "14900", kind: "subscription" },
        { amountFen: "250", kind: "usage", quantity: "1000000", unitAmount: "0.0002" },
      ],
    });
  });

  it("given a draft the credit covers, when finalized, then paid at once with no payment", () => {
    const result = accepted(when(given(draft([fee(14_900n)], 14_900n)), finalize()));
    expect(result.state.value).toBe("paid");
    expect(result.state.context).toMatchObject({ amountFen: 0n, paidAt: 11_000, paymentId: null });
    expect(result.fact).toMatchObject({ type: "invoice.finalized", amountFen: "0", status: "paid" });
  });

  it("given a draft, when finalized with invalid added lines or no number, then invoice_lines_invalid", () => {
    const drafted = given(draft([fee(14_900n)]));
    expect(refusal(drafted, finalize([fee(-100n, "subscription")]))).toBe("invoice_lines_invalid");
    // A usage credit (volume pricing reaching a cheaper tier) is a line of its own.
    expect(refusal(drafted, finalize([fee(-100n, "usage")]))).toBe("accepted");
    expect(refusal(drafted, finalize([usageLine(0n)]))).toBe("invoice_lines_invalid");
    const tooMany = Array.from({ length: invoiceLinesMax }, () => usageLine(1n));
    expect(refusal(drafted, finalize(tooMany))).toBe("invoice_lines_invalid");
    expect(refusal(drafted, finalize(tooMany.slice(1)))).toBe("accepted");
    expect(refusal(drafted, finalize([], ""))).toBe("invoice_lines_invalid");
  });

  it("given a draft, when finalized with a credit line that takes the total below zero, then invoice_total_negative", () => {
    const drafted = given(draft([fee(1_000n)]));
    expect(refusal(drafted, finalize([fee(-1_001n, "proration")]))).toBe("invoice_total_negative");
    expect(refusal(drafted, finalize([fee(-1_000n, "proration")]))).toBe("accepted");
  });

  it("given a draft, when drafted, issued or opened again, paid or written off, then refused", () => {
    const drafted = given(draft([fee(14_900n)]));
    expect(refusal(drafted, draft([fee(14_900n)]))).toBe("invoice_exists");
    expect(refusal(drafted, issue([fee(14_900n)]))).toBe("invoice_exists");
    expect(refusal(drafted, open(100n))).toBe("invoice_exists");
    expect(refusal(drafted, pay(14_900n))).toBe("invoice_not_open");
    expect(refusal(drafted, markUncollectible)).toBe("invoice_not_open");
    expect(refusal(drafted, refund(100n))).toBe("invoice_not_paid");
    expect(refusal(drafted, restore(100n))).toBe("invoice_not_paid");
  });

  it("given nothing, when drafted with invalid lines or a credit above the lines, then refused", () => {
    expect(refusal(given(), draft([]))).toBe("invoice_lines_invalid");
    expect(refusal(given(), draft([fee(0n)]))).toBe("invoice_lines_invalid");
    expect(refusal(given(), draft([fee(200n), fee(-100n)]))).toBe("invoice_lines_invalid");
    expect(refusal(given(), draft([fee(200n)], -1n))).toBe("invoice_lines_invalid");
    expect(refusal(given(), draft([fee(200n)], 201n))).toBe("invoice_total_negative");
    expect(refusal(given(), finalize())).toBe("invoice_not_draft");
  });

  it("given an open invoice, when finalized again, then invoice_not_draft", () => {
    expect(refusal(given(draft([fee(100n)]), finalize()), finalize())).toBe("invoice_not_draft");
    expect(refusal(given(issue([fee(100n)])), finalize())).toBe("invoice_not_draft");
  });
});

describe("invoice machine: issue (first invoices, purchases, prorations)", () => {
  it("given nothing, when issued, then open with its number and due date", () => {
    const result = accepted(when(given(), issue([fee(14_900n)])));
    expect(result.state.value).toBe("open");
    expect(result.state.context).toMatchObject({
      number: "TEST-INV-000007",
      amountFen: 14_900n,
      createdAt: 10_000,
      finalizedAt: 10_000,
      dueAt: 13_000,
    });
    expect(result.fact).toMatchObject({
      type: "invoice.finalized",
      status: "open",
      number: "TEST-INV-000007",
    });
  });

  it("given nothing, when issued with a proration credit and charge, then open for the net", () => {
    const result = accepted(when(given(), issue([fee(-7_000n, "proration"), fee(14_000n, "proration")])));
    expect(result.state.context.amountFen).toBe(7_000n);
    expect(result.fact.amountFen).toBe("7000");
  });

  it("given nothing, when issued with nothing due, then paid at once", () => {
    const result = accepted(when(given(), issue([fee(-5_000n, "proration"), fee(5_000n, "proration")])));
    expect(result.state.value).toBe("paid");
    expect(result.state.context).toMatchObject({ amountFen: 0n, paidAt: 10_000, number: "TEST-INV-000007" });
    expect(result.fact).toMatchObject({ status: "paid", amountFen: "0" });
    const covered = accepted(when(given(), issue([fee(1_000n)], 1_000n)));
    expect(covered.state.value).toBe("paid");
  });

  it("given nothing, when issued with a total below zero, then invoice_total_negative", () => {
    expect(refusal(given(), issue([fee(-5_001n, "proration"), fee(5_000n, "proration")]))).toBe(
      "invoice_total_negative",
    );
    expect(refusal(given(), issue([fee(100n)], 101n))).toBe("invoice_total_negative");
  });

  it("given nothing, when issued with invalid lines or no number, then invoice_lines_invalid", () => {
    expect(refusal(given(), issue([fee(200n), fee(-100n, "subscription")]))).toBe("invoice_lines_invalid");
    expect(refusal(given(), issue([fee(200n), fee(0n, "proration")]))).toBe("invoice_lines_invalid");
    expect(refusal(given(), issue([fee(0n)]))).toBe("invoice_lines_invalid");
    expect(refusal(given(), issue([]))).toBe("invoice_lines_invalid");
    const lines = Array.from({ length: invoiceLinesMax + 1 }, () => fee(1n));
    expect(refusal(given(), issue(lines))).toBe("invoice_lines_invalid");
    expect(refusal(given(), issue(lines.slice(1)))).toBe("accepted");
    expect(refusal(given(), issue([fee(100n)], 0n, ""))).toBe("invoice_lines_invalid");
    expect(refusal(given(), issue([fee(100n)], -1n))).toBe("invoice_lines_invalid");
  });

  it("given nothing, when paid, voided, written off or refunded, then refused", () => {
    expect(refusal(given(), pay(100n))).toBe("invoice_not_open");
    expect(refusal(given(), cancelVoid)).toBe("invoice_not_open");
    expect(refusal(given(), markUncollectible)).toBe("invoice_not_open");
    expect(refusal(given(), refund(100n))).toBe("invoice_not_paid");
    expect(refusal(given(), restore(100n))).toBe("invoice_not_paid");
  });
});

describe("invoice machine: void, uncollectible, refund", () => {
  it("given a draft, when voided, then void and never finalized", () => {
    const result = accepted(when(given(draft([fee(14_900n)])), cancelVoid));
    expect(result.state.value).toBe("void");
    expect(result.state.context).toMatchObject({ voidedAt: 12_000, voidReason: "subscription_canceled" });
    expect(result.fact).toMatchObject({ type: "invoice.voided", reason: "subscription_canceled" });
    expect(result.fact.wasFinalized).toBeUndefined();
    expect(postingsOf(result.fact)).toEqual([]);
  });

  it("given an open billing invoice, when voided, then void and it says it was finalized", () => {
    const result = accepted(when(given(issue([fee(14_900n)])), cancelVoid));
    expect(result.state.value).toBe("void");
    expect(result.fact).toMatchObject({
      type: "invoice.voided",
      wasFinalized: true,
      amountFen: "14900",
      creditAppliedFen: "0",
      lines: [{ amountFen: "14900", kind: "subscription" }],
    });
  });

  it("given an open invoice, when marked uncollectible, then uncollectible with the reason", () => {
    const result = accepted(when(given(issue([fee(14_900n)])), markUncollectible));
    expect(result.state.value).toBe("uncollectible");
    expect(result.state.context).toMatchObject({ uncollectibleAt: 30_000, voidReason: "dunning_ended" });
    expect(result.fact).toMatchObject({ type: "invoice.marked_uncollectible", reason: "dunning_ended" });
  });

  it("given an open invoice, when refunded, then invoice_not_paid: nothing was collected", () => {
    const opened = given(issue([fee(14_900n)]));
    expect(refusal(opened, refund(100n))).toBe("invoice_not_paid");
    expect(refusal(opened, restore(100n))).toBe("invoice_not_paid");
  });

  it("given a paid billing invoice, when refunded in parts, then up to its total and no further", () => {
    const paid = given(issue([fee(9_900n, "purchase")]), pay(9_900n));
    const first = accepted(when(paid, refund(4_000n)));
    expect(first.state.value).toBe("paid");
    expect(first.state.context.refundedFen).toBe(4_000n);
    expect(first.fact).toMatchObject({
      type: "invoice.refunded",
      refundId: "re_1",
      refundFen: "4000",
      amountFen: "9900",
    });
    expect(refusal(first.state, refund(5_901n, "re_2"))).toBe("refund_exceeds_invoice");
    const full = accepted(when(first.state, refund(5_900n, "re_2")));
    expect(full.state.context.refundedFen).toBe(9_900n);
    expect(refusal(full.state, refund(1n, "re_3"))).toBe("refund_exceeds_invoice");
    expect(refusal(paid, refund(0n))).toBe("refund_exceeds_invoice");
    expect(refusal(paid, refund(-1n))).toBe("refund_exceeds_invoice");
  });

  it("given a refunded invoice, when the refund is restored, then at most what was refunded", () => {
    const refunded = given(issue([fee(9_900n, "purchase")]), pay(9_900n), refund(4_000n));
    expect(refusal(refunded, restore(4_001n))).toBe("refund_exceeds_invoice");
    expect(refusal(refunded, restore(0n))).toBe("refund_exceeds_invoice");
    const restored = accepted(when(refunded, restore(4_000n)));
    expect(restored.state.context.refundedFen).toBe(0n);
    expect(restored.fact).toMatchObject({ type: "invoice.refund_restored", refundFen: "4000" });
    expect(refusal(restored.state, restore(1n))).toBe("refund_exceeds_invoice");
    expect(refusal(given(issue([fee(100n)]), pay(100n)), restore(1n))).toBe("refund_exceeds_invoice");
  });

  it.each([
    ["void (from draft)", () => given(draft([fee(100n)]), cancelVoid)],
    ["void (from open)", () => given(issue([fee(100n)]), cancelVoid)],
    ["uncollectible", () => given(issue([fee(100n)]), markUncollectible)],
  ])("given a %s invoice, when anything is sent, then refused and unchanged", (_name, closed) => {
    const state = closed();
    expect(refusal(state, open(100n))).toBe("invoice_exists");
    expect(refusal(state, draft([fee(100n)]))).toBe("invoice_exists");
    expect(refusal(state, issue([fee(100n)]))).toBe("invoice_exists");
    expect(refusal(state, finalize())).toBe("invoice_not_draft");
    expect(refusal(state, pay(100n))).toBe("invoice_not_open");
    expect(refusal(state, cancelVoid)).toBe("invoice_not_open");
    expect(refusal(state, markUncollectible)).toBe("invoice_not_open");
    expect(refusal(state, refund(100n))).toBe("invoice_not_paid");
    expect(refusal(state, restore(100n))).toBe("invoice_not_paid");
  });

  it("given a paid billing invoice, when anything but a refund is sent, then refused and unchanged", () => {
    const paid = given(issue([fee(100n)]), pay(100n));
    expect(refusal(paid, open(100n))).toBe("invoice_exists");
    expect(refusal(paid, draft([fee(100n)]))).toBe("invoice_exists");
    expect(refusal(paid, issue([fee(100n)]))).toBe("invoice_exists");
    expect(refusal(paid, finalize())).toBe("invoice_not_draft");
    expect(refusal(paid, pay(100n))).toBe("invoice_not_open");
    expect(refusal(paid, cancelVoid)).toBe("invoice_not_open");
    expect(refusal(paid, markUncollectible)).toBe("invoice_not_open");
  });
});

describe("invoice postings (machines/invoicePostings.ts)", () => {
  // A renewal: ¥149 fee + ¥2.50 usage − ¥20 credit = ¥131.50 due.
  const renewal = () => given(draft([fee(14_900n)], 2_000n));
  const finalized = () => accepted(when(renewal(), finalize([usageLine(250n)])));

  it("drafting posts nothing: the invoice is not owed until it is finalized", () => {
    expect(postingsOf(accepted(when(given(), draft([fee(14_900n)], 2_000n))).fact)).toEqual([]);
  });

  it("finalizing T = S + U − C: invoices due −T, billed revenue +S, unbilled usage +U, account credit −C", () => {
    const postings = postingsOf(finalized().fact);
    expectBalanced(postings);
    expect(postings.map((p) => p.account)).toEqual([
      "test:customer:cus_1:invoices_due",
      "test:merchant:mer_1:billed_revenue",
      "test:customer:cus_1:unbilled_usage",
      "test:customer:cus_1:account_credit",
    ]);
    expect(byAccount(postings)).toEqual({
      "customer:invoices_due": -micros(13_150n),
      "merchant:billed_revenue": micros(14_900n),
      "customer:unbilled_usage": micros(250n),
      "customer:account_credit": -micros(2_000n),
    });
  });

  it("issuing a proration posts its net as revenue (the credit line nets inside S), with no zero postings", () => {
    const issued = accepted(when(given(), issue([fee(-7_000n, "proration"), fee(14_000n, "proration")])));
    const postings = postingsOf(issued.fact);
    expectBalanced(postings);
    expect(byAccount(postings)).toEqual({
      "customer:invoices_due": -micros(7_000n),
      "merchant:billed_revenue": micros(7_000n),
    });
  });

  it("finalizing with nothing due moves credit into revenue and nothing into invoices due", () => {
    const covered = accepted(when(given(draft([fee(14_900n)], 14_900n)), finalize()));
    const postings = postingsOf(covered.fact);
    expectBalanced(postings);
    expect(byAccount(postings)).toEqual({
      "merchant:billed_revenue": micros(14_900n),
      "customer:account_credit": -micros(14_900n),
    });
  });

  it("paying: invoices due +T, invoice collections −T", () => {
    const paid = accepted(when(finalized().state, pay(13_150n)));
    const postings = postingsOf(paid.fact);
    expectBalanced(postings);
    expect(byAccount(postings)).toEqual({
      "customer:invoices_due": micros(13_150n),
      "merchant:invoice_collections": -micros(13_150n),
    });
  });

  it("voiding a finalized invoice reverses its finalization exactly; a voided draft posts nothing", () => {
    const opened = finalized();
    const voided = accepted(when(opened.state, cancelVoid));
    const postings = postingsOf(voided.fact);
    expectBalanced(postings);
    expect(byAccount(postings)).toEqual(
      Object.fromEntries(Object.entries(byAccount(postingsOf(opened.fact))).map(([a, v]) => [a, -v])),
    );
    expect(postingsOf(accepted(when(renewal(), cancelVoid)).fact)).toEqual([]);
  });

  it("writing off: invoices due +T, bad debt −T", () => {
    const written = accepted(when(finalized().state, markUncollectible));
    const postings = postingsOf(written.fact);
    expectBalanced(postings);
    expect(byAccount(postings)).toEqual({
      "customer:invoices_due": micros(13_150n),
      "merchant:bad_debt": -micros(13_150n),
    });
  });

  it("a refund R: billed revenue −R, invoice collections +R; restoring it posts the opposite", () => {
    const refunded = accepted(when(given(issue([fee(9_900n, "purchase")]), pay(9_900n)), refund(4_000n)));
    const postings = postingsOf(refunded.fact);
    expectBalanced(postings);
    expect(byAccount(postings)).toEqual({
      "merchant:billed_revenue": -micros(4_000n),
      "merchant:invoice_collections": micros(4_000n),
    });
    const restored = accepted(when(refunded.state, restore(4_000n)));
    expect(byAccount(postingsOf(restored.fact))).toEqual({
      "merchant:billed_revenue": micros(4_000n),
      "merchant:invoice_collections": -micros(4_000n),
    });
  });

  it("a whole life (issue, pay, refund all) leaves invoices due at zero and revenue net of the refund", () => {
    const facts: InvoiceFact[] = [];
    let state = given();
    for (const command of [issue([fee(9_900n, "purchase")]), pay(9_900n), refund(9_900n)]) {
      const result = accepted(when(state, command));
      facts.push(result.fact);
      state = result.state;
    }
    const sums = byAccount([]);
    for (const p of facts.flatMap(postingsOf)) {
      const key = p.account.replace(/^test:(customer|merchant):[^:]+:/, "$1:");
      sums[key] = (sums[key] ?? 0n) + BigInt(p.amountMicros);
    }
    expect(sums).toEqual({
      "customer:invoices_due": 0n,
      "merchant:billed_revenue": 0n,
      "merchant:invoice_collections": 0n,
    });
  });
});
