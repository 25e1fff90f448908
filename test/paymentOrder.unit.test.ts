import { describe, expect, it } from "vitest";
import { unbalancedCurrencies } from "../domain/postings.js";
import { paymentKind, paymentPostingsOf, type PaymentCommand, type PaymentFact } from "../machines/index.js";
import { scenario } from "./support/kindGiven.js";

const { given, when } = scenario(paymentKind);
const owner = { env: "test" as const, merchantId: "mer_1" };

const create: PaymentCommand = {
  type: "payment.create",
  paymentId: "pay_1",
  invoiceId: "inv_1",
  customerId: "cus_1",
  channel: "wechat_native",
  amountFen: 10_000n,
  currency: "CNY",
  expiresAt: 60_000,
  channelFeeBps: 60,
  platformFeeBps: 100,
  at: 1_000,
};
const open: PaymentCommand = {
  type: "payment.open",
  action: { type: "qr_code", codeUrl: "weixin://x" },
  at: 1_100,
};
const succeed = (
  overrides: Partial<Extract<PaymentCommand, { type: "payment.succeed" }>> = {},
): PaymentCommand => ({
  type: "payment.succeed",
  transactionId: "4200000001",
  amountFen: 10_000n,
  currency: "CNY",
  paidAt: 2_000,
  payerId: "o_payer",
  at: 2_000,
  ...overrides,
});
const close: PaymentCommand = { type: "payment.close", code: "expired", message: "unpaid", at: 70_000 };
const requestRefund = (refundId: string, amountFen: bigint): PaymentCommand => ({
  type: "payment.request_refund",
  refundId,
  amountFen,
  reason: "customer asked",
  at: 3_000,
});
const complete = (refundId: string): PaymentCommand => ({
  type: "payment.complete_refund",
  refundId,
  at: 4_000,
});
const failRefund = (refundId: string): PaymentCommand => ({
  type: "payment.fail_refund",
  refundId,
  channelState: "ABNORMAL",
  at: 4_000,
});

const postingsOf = (fact: PaymentFact) =>
  Object.fromEntries(paymentPostingsOf(fact, owner).map((p) => [p.account, p.amountMicros]));

describe("payment order machine", () => {
  it("given a created order, when the channel's order is opened, then pending with what the buyer needs", () => {
    const result = when(given(create), open);
    expect(result).toMatchObject({
      ok: true,
      state: { value: "pending" },
      fact: { type: "payment.opened", action: { type: "qr_code" } },
    });
  });

  it("given a pending ¥100 order, when paid ¥100, then succeeded with fees HALF_UP and balanced cash postings", () => {
    const result = when(given(create, open), succeed());
    if (!result.ok) throw new Error(result.code);
    expect(result.state.value).toBe("succeeded");
    expect(result.fact).toMatchObject({
      type: "payment.succeeded",
      channelFeeFen: "60",
      platformFeeFen: "100",
    });
    expect(postingsOf(result.fact)).toEqual({
      "test:external:payers": "-100000000",
      "test:channel:wechatpay:fees": "600000",
      "test:platform:fees": "1000000",
      "test:merchant:mer_1:payable": "98400000",
    });
    expect(unbalancedCurrencies(paymentPostingsOf(result.fact, owner)).size).toBe(0);
  });

  it("given an odd amount, when paid, then each fee rounds half up to whole fen", () => {
    const result = when(given({ ...create, amountFen: 250n }, open), succeed({ amountFen: 250n }));
    // 250 × 0.6 % = 1.5 → 2 fen; 250 × 1 % = 2.5 → 3 fen.
    expect(result).toMatchObject({ ok: true, fact: { channelFeeFen: "2", platformFeeFen: "3" } });
  });

  it("given a pending order, when paid another amount or currency, then amount_mismatch and nothing changes", () => {
    const state = given(create, open);
    expect(when(state, succeed({ amountFen: 9_999n }))).toEqual({ ok: false, code: "amount_mismatch" });
    expect(when(state, succeed({ currency: "USD" }))).toEqual({ ok: false, code: "amount_mismatch" });
  });

  it("given a paid order, when the same transaction succeeds again, then a duplicate; another transaction conflicts", () => {
    const paid = given(create, open, succeed());
    expect(when(paid, succeed())).toEqual({ ok: false, code: "duplicate_payment" });
    expect(when(paid, succeed({ transactionId: "4200000002" }))).toEqual({
      ok: false,
      code: "transaction_conflict",
    });
  });

  it("given a closed order, when a success arrives, then paid_after_close: unapplied, never credited", () => {
    const result = when(given(create, open, close), succeed());
    if (!result.ok) throw new Error(result.code);
    expect(result.state.value).toBe("paid_after_close");
    expect(result.fact).toMatchObject({ type: "payment.paid_after_close", settlement: "unapplied" });
    expect(postingsOf(result.fact)).toEqual({
      "test:external:payers": "-100000000",
      "test:merchant:mer_1:unapplied_payments": "100000000",
    });
    expect(when(result.state, succeed())).toEqual({ ok: false, code: "duplicate_payment" });
  });

  it("given a pending order, when failed or closed, then it ends; a second end is refused", () => {
    const failed = when(given(create, open), {
      type: "payment.fail",
      code: "payment_failed",
      message: "PAYERROR",
      at: 5,
    });
    expect(failed).toMatchObject({ ok: true, state: { value: "failed" }, fact: { type: "payment.failed" } });
    expect(when(given(create, open, close), close)).toEqual({ ok: false, code: "payment_not_pending" });
  });

  it("given a wrong amount was reported, when flagged, then visible once; the same flag again is a duplicate", () => {
    const flag: PaymentCommand = {
      type: "payment.flag",
      reason: "amount_mismatch",
      transactionId: "4200000001",
      amountFen: 1n,
      currency: "CNY",
      refundId: null,
      at: 2_000,
    };
    const result = when(given(create, open), flag);
    if (!result.ok) throw new Error(result.code);
    expect(result.state.value).toBe("pending");
    expect(result.state.context.flags).toHaveLength(1);
    expect(paymentPostingsOf(result.fact, owner)).toEqual([]);
    expect(when(result.state, flag)).toEqual({ ok: false, code: "duplicate_flag" });
  });

  describe("refunds", () => {
    const paid = () => given(create, open, succeed());

    it("given a paid order, when part is refunded and the channel confirms, then refundedFen grows and it stays succeeded", () => {
      const requested = when(paid(), requestRefund("rfd_1", 3_000n));
      if (!requested.ok) throw new Error(requested.code);
      expect(requested.state.context.refundingFen).toBe(3_000n);
      expect(paymentPostingsOf(requested.fact, owner)).toEqual([]);
      const done = when(requested.state, complete("rfd_1"));
      if (!done.ok) throw new Error(done.code);
      expect(done.state.value).toBe("succeeded");
      expect(done.state.context).toMatchObject({ refundedFen: 3_000n, refundingFen: 0n });
      expect(postingsOf(done.fact)).toEqual({
        "test:external:payers": "30000000",
        "test:merchant:mer_1:payable": "-30000000",
      });
    });

    it("given refunds that reach the whole amount, when the last is confirmed, then refunded", () => {
      const state = given(
        create,
        open,
        succeed(),
        requestRefund("a", 4_000n),
        complete("a"),
        requestRefund("b", 6_000n),
      );
      expect(when(state, complete("b"))).toMatchObject({ ok: true, state: { value: "refunded" } });
    });

    it("given pending refunds, when another would exceed what was paid, then refund_exceeds_payment", () => {
      const state = given(create, open, succeed(), requestRefund("a", 7_000n));
      expect(when(state, requestRefund("b", 3_001n))).toEqual({ ok: false, code: "refund_exceeds_payment" });
      expect(when(state, requestRefund("a", 1n))).toEqual({ ok: false, code: "refund_exists" });
    });

    it("given a refund failed at the channel, then its amount may be refunded again", () => {
      const failed = when(given(create, open, succeed(), requestRefund("a", 10_000n)), failRefund("a"));
      if (!failed.ok) throw new Error(failed.code);
      expect(failed.state.context.refundingFen).toBe(0n);
      expect(when(failed.state, requestRefund("b", 10_000n)).ok).toBe(true);
    });

    it("given a settled refund, when its notify comes again, then refund_not_pending (a duplicate)", () => {
      const state = given(create, open, succeed(), requestRefund("a", 100n), complete("a"));
      expect(when(state, complete("a"))).toEqual({ ok: false, code: "refund_not_pending" });
      expect(when(state, complete("zzz"))).toEqual({ ok: false, code: "refund_not_found" });
    });

    it("given an unpaid order, when a refund is requested, then payment_not_refundable", () => {
      expect(when(given(create, open), requestRefund("a", 1n))).toEqual({
        ok: false,
        code: "payment_not_refundable",
      });
    });

    it("given money paid after close, when refunded, then it leaves unapplied payments", () => {
      const state = given(create, open, close, succeed(), requestRefund("a", 10_000n));
      const done = when(state, complete("a"));
      if (!done.ok) throw new Error(done.code);
      expect(done.state.value).toBe("refunded");
      expect(postingsOf(done.fact)).toEqual({
        "test:external:payers": "100000000",
        "test:merchant:mer_1:unapplied_payments": "-100000000",
      });
    });
  });
});
