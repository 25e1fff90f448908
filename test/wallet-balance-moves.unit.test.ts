import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EntityState } from "../machines/kind.js";
import { decideWalletBalanceMove } from "../machines/walletBalanceMoves.js";
import { walletKind } from "../machines/walletKind.js";
import type { WalletCommand, WalletContext } from "../machines/walletTypes.js";
import { byMachine } from "./support/walletChart.js";

const micros = fc.bigInt({ min: 0n, max: 10_000_000n });
const state = fc.record({
  value: fc.constantFrom("active", "frozen"),
  context: fc.record({
    balanceMicros: fc.bigInt({ min: -5_000_000n, max: 10_000_000n }),
    reservedMicros: micros.map((m) => m / 4n),
    reservations: fc.constant({}),
    usage: fc.constantFrom({}, { '["tokens",[]]@0': "5" }),
  }),
});
const stamp = { transactionId: fc.constant("wtx_1"), at: fc.nat() };
const command: fc.Arbitrary<WalletCommand> = fc.oneof(
  fc.record({
    type: fc.constant("wallet.grant" as const),
    amountMicros: micros,
    reason: fc.string(),
    ...stamp,
  }),
  fc.record({
    type: fc.constant("wallet.debit" as const),
    amountMicros: micros,
    description: fc.option(fc.string()),
    ...stamp,
  }),
  fc.record({
    type: fc.constant("wallet.top_up" as const),
    amountMicros: micros,
    paymentId: fc.constant("pay_1"),
    ...stamp,
  }),
  fc.record({
    type: fc.constant("wallet.restore_refund" as const),
    amountMicros: micros,
    refundId: fc.constant("rfd_1"),
    ...stamp,
  }),
);

describe("wallet debits and credits decided directly", () => {
  it("given any wallet state, when debited or credited, then decides exactly as the chart does", () => {
    fc.assert(
      fc.property(state, command, (given, move) => {
        expect(decideWalletBalanceMove(given, move)).toEqual(byMachine(given, move));
      }),
      { numRuns: 3_000 },
    );
  });

  it("given the available balance exactly, then debits it and refuses one micro-unit more", () => {
    const given: EntityState<WalletContext> = {
      value: "active",
      context: { balanceMicros: 1_000n, reservedMicros: 400n, reservations: {}, usage: {} },
    };
    const debit = (amountMicros: bigint): WalletCommand => ({
      type: "wallet.debit",
      amountMicros,
      description: null,
      transactionId: "wtx_2",
      at: 1,
    });
    const exact = decideWalletBalanceMove(given, debit(600n));
    expect(exact).toEqual({
      ok: true,
      next: { value: "active", context: { ...given.context, balanceMicros: 400n } },
    });
    expect(exact).toEqual(byMachine(given, debit(600n)));
    expect(decideWalletBalanceMove(given, debit(601n))).toEqual({ ok: false, code: "insufficient_balance" });
    expect(byMachine(given, debit(601n))).toEqual({ ok: false, code: "insufficient_balance" });
  });

  it("leaves reservations, refunds of top-ups and freezing to the chart", () => {
    const given = walletKind.initialState();
    const reserve: WalletCommand = {
      type: "wallet.reserve",
      reservationId: "res_1",
      amountMicros: 1n,
      expiresAt: 10,
      transactionId: "wtx_3",
      at: 1,
    };
    const freeze: WalletCommand = { type: "wallet.freeze", reason: null, transactionId: "wtx_4", at: 1 };
    expect(decideWalletBalanceMove(given, reserve)).toBeUndefined();
    expect(decideWalletBalanceMove(given, freeze)).toBeUndefined();
  });
});
