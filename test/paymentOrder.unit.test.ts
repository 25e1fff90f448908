import { describe, expect, it } from "vitest";
import { unbalancedCurrencies } from "../domain/postings.js";
import {
  paymentKind,
  paymentPostingsOf,
  unappliedFen,
  type PaymentCommand,
  type PaymentFact,
} from "../machines/index.js";
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

  it("given a wrong amount was reported, when flagged without holding its money (as logged before it was posted), then visible once and no postings", () => {
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

  describe("money the channel took that is not applied (held)", () => {
    type FlagCommand = Extract<PaymentCommand, { type: "payment.flag" }>;
    const hold = (overrides: Partial<FlagCommand> = {}): FlagCommand => ({
      type: "payment.flag",
      reason: "amount_mismatch",
      transactionId: "4200000009",
      amountFen: 5_000n,
      currency: "CNY",
      refundId: null,
      settlement: "unapplied",
      at: 2_000,
      ...overrides,
    });
    const closeMismatched: PaymentCommand = {
      type: "payment.close",
      code: "amount_mismatch",
      message: "the channel took ¥50.00",
      at: 2_001,
    };
    const heldInUnapplied = {
      "test:external:payers": "-50000000",
      "test:merchant:mer_1:unapplied_payments": "50000000",
    };

    it("given a pending ¥100 order, when the channel's ¥50 is held, then its ¥50 is posted to unapplied payments, the order still expects ¥100 and is not paid", () => {
      const result = when(given(create, open), hold());
      if (!result.ok) throw new Error(result.code);
      expect(result.fact).toMatchObject({
        type: "payment.flagged",
        amountFen: "5000",
        settlement: "unapplied",
      });
      expect(postingsOf(result.fact)).toEqual(heldInUnapplied);
      expect(unbalancedCurrencies(paymentPostingsOf(result.fact, owner)).size).toBe(0);
      expect(result.state.value).toBe("pending");
      expect(result.state.context).toMatchObject({
        amountFen: 10_000n,
        settlement: null,
        transactionId: null,
        refundedFen: 0n,
      });
      expect(unappliedFen(result.state.context)).toBe(5_000n);
    });

    it("given a held transaction, when it is held again (even as another reason), then duplicate_flag: posted once per transaction", () => {
      const held = given(create, open, hold());
      expect(when(held, hold())).toEqual({ ok: false, code: "duplicate_flag" });
      expect(when(held, hold({ reason: "transaction_conflict", at: 9_000 }))).toEqual({
        ok: false,
        code: "duplicate_flag",
      });
      expect(when(held, hold({ transactionId: "4200000010" })).ok).toBe(true);
    });

    it("given a held transaction, when the channel reports it paid (any amount), then transaction_held: nothing is credited", () => {
      const held = given(create, open, hold());
      for (const amountFen of [5_000n, 10_000n]) {
        expect(when(held, succeed({ transactionId: "4200000009", amountFen }))).toEqual({
          ok: false,
          code: "transaction_held",
        });
      }
      const closed = given(create, open, hold(), closeMismatched);
      expect(when(closed, succeed({ transactionId: "4200000009" }))).toEqual({
        ok: false,
        code: "transaction_held",
      });
    });

    it("given a flag logged before held money was posted, when the same transaction is held, then its money is posted now, once", () => {
      const { settlement: _posted, ...legacy } = hold();
      const flagged = given(create, open, legacy);
      expect(unappliedFen(flagged.context)).toBe(0n);
      const result = when(flagged, hold());
      if (!result.ok) throw new Error(result.code);
      expect(postingsOf(result.fact)).toEqual(heldInUnapplied);
      expect(when(result.state, hold())).toEqual({ ok: false, code: "duplicate_flag" });
    });

    it("given money that moves nothing or is not CNY, when held, then flag_not_holdable", () => {
      const pending = given(create, open);
      for (const overrides of [
        { reason: "refund_amount_mismatch" as const },
        { currency: "USD" },
        { amountFen: 0n },
        { refundId: "rfd_1" },
      ]) {
        expect(when(pending, hold(overrides))).toEqual({ ok: false, code: "flag_not_holdable" });
      }
    });

    it("given a paid order, when a second transaction is held (transaction_conflict), then posted, and the order's refunds stay within its own amount", () => {
      const paid = given(create, open, succeed());
      const result = when(paid, hold({ reason: "transaction_conflict" }));
      if (!result.ok) throw new Error(result.code);
      expect(result.state.value).toBe("succeeded");
      expect(postingsOf(result.fact)).toEqual(heldInUnapplied);
      expect(unappliedFen(result.state.context)).toBe(5_000n);
      expect(when(result.state, requestRefund("a", 10_001n))).toEqual({
        ok: false,
        code: "refund_exceeds_payment",
      });
      const refund = when(result.state, requestRefund("a", 10_000n));
      expect(refund).toMatchObject({ ok: true, fact: { settlement: "credited" } });
    });

    it("given a held order, when closed for the mismatch, then closed with its reason, and refundable up to what was held, from unapplied payments", () => {
      const closed = when(given(create, open, hold()), closeMismatched);
      if (!closed.ok) throw new Error(closed.code);
      expect(closed.state).toMatchObject({
        value: "closed",
        context: { failure: { code: "amount_mismatch" }, amountFen: 10_000n },
      });
      expect(paymentPostingsOf(closed.fact, owner)).toEqual([]);
      expect(when(closed.state, requestRefund("a", 5_001n))).toEqual({
        ok: false,
        code: "refund_exceeds_payment",
      });
      const requested = when(closed.state, requestRefund("a", 5_000n));
      if (!requested.ok) throw new Error(requested.code);
      expect(requested.fact).toMatchObject({ type: "payment.refund_requested", settlement: "unapplied" });
      const done = when(requested.state, complete("a"));
      if (!done.ok) throw new Error(done.code);
      expect(done.state).toMatchObject({ value: "closed", context: { refundedFen: 5_000n } });
      expect(postingsOf(done.fact)).toEqual({
        "test:external:payers": "50000000",
        "test:merchant:mer_1:unapplied_payments": "-50000000",
      });
      expect(unappliedFen(done.state.context)).toBe(0n);
    });

    it("given an order closed unpaid with nothing held, when a refund is requested, then payment_not_refundable", () => {
      expect(when(given(create, open, close), requestRefund("a", 1n))).toEqual({
        ok: false,
        code: "payment_not_refundable",
      });
    });
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
