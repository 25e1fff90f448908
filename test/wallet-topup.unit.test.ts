import { describe, expect, it } from "vitest";
import { walletPostingsOf } from "../machines/index.js";
import { cmd, given, when, yuan } from "./support/walletGiven.js";

const topUp = (amount: number) =>
  cmd({ type: "wallet.top_up", amountMicros: yuan(amount), paymentId: "pay_1" });
const refund = (amount: number) =>
  cmd({ type: "wallet.refund_top_up", amountMicros: yuan(amount), refundId: "rfd_1" });
const owner = { env: "test" as const, merchantId: "mer_1", customerId: "cus_1" };

describe("wallet top-ups", () => {
  it("given a wallet, when topped up ¥100, then wallet.topped_up: credit from the merchant's prepaid credit sold", () => {
    const result = when(given(), topUp(100));
    if (!result.ok) throw new Error(result.code);
    expect(result.fact).toMatchObject({
      type: "wallet.topped_up",
      amountMicros: "100000000",
      paymentId: "pay_1",
    });
    expect(walletPostingsOf(result.fact, owner)).toEqual([
      { account: "test:merchant:mer_1:prepaid_credit_sold", currency: "CNY", amountMicros: "-100000000" },
      { account: "test:customer:cus_1:wallet_available", currency: "CNY", amountMicros: "100000000" },
    ]);
  });

  it("given a frozen wallet, when topped up, then credited anyway: paid money is never refused", () => {
    const frozen = given(cmd({ type: "wallet.freeze", reason: null }));
    expect(when(frozen, topUp(1))).toMatchObject({ ok: true, state: { value: "frozen" } });
  });

  it("given ¥100 topped up and ¥30 spent, when ¥80 is refunded, then insufficient_balance: never below zero", () => {
    const state = given(topUp(100), cmd({ type: "wallet.debit", amountMicros: yuan(30), description: null }));
    expect(when(state, refund(80))).toEqual({ ok: false, code: "insufficient_balance" });
    expect(when(state, refund(70))).toMatchObject({ ok: true, fact: { type: "wallet.top_up_refunded" } });
  });

  it("given credit held by a reservation, when refunded, then only the available part counts", () => {
    const state = given(
      topUp(100),
      cmd({ type: "wallet.reserve", reservationId: "r1", amountMicros: yuan(50), expiresAt: 10_000 }),
    );
    expect(when(state, refund(51))).toEqual({ ok: false, code: "insufficient_balance" });
  });

  it("given a refund the channel refused, when restored, then the credit is back", () => {
    const refunded = given(topUp(100), refund(40));
    const restored = when(
      refunded,
      cmd({ type: "wallet.restore_refund", amountMicros: yuan(40), refundId: "rfd_1" }),
    );
    expect(restored).toMatchObject({
      ok: true,
      fact: { type: "wallet.refund_restored", balanceAfterMicros: "100000000" },
    });
  });
});

describe("wallet credit from an ended subscription", () => {
  const receive = (amount: number) =>
    cmd({ type: "wallet.receive_credit", amountMicros: yuan(amount), subscriptionId: "sub_1" });

  it("given a wallet, when ¥12 of account credit is received, then it moves from the customer's account credit", () => {
    const result = when(given(), receive(12));
    if (!result.ok) throw new Error(result.code);
    expect(result.fact).toMatchObject({
      type: "wallet.credit_received",
      amountMicros: "12000000",
      subscriptionId: "sub_1",
      availableAfterMicros: "12000000",
    });
    expect(walletPostingsOf(result.fact, owner)).toEqual([
      { account: "test:customer:cus_1:account_credit", currency: "CNY", amountMicros: "-12000000" },
      { account: "test:customer:cus_1:wallet_available", currency: "CNY", amountMicros: "12000000" },
    ]);
  });

  it("given a frozen wallet, when credit is received, then credited anyway: it is the customer's money", () => {
    const frozen = given(cmd({ type: "wallet.freeze", reason: null }));
    expect(when(frozen, receive(1))).toMatchObject({ ok: true, state: { value: "frozen" } });
  });
});
