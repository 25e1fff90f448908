import { describe, expect, it } from "vitest";
import { availableMicros } from "../machines/index.js";
import { cmd, given, when, yuan } from "./support/walletGiven.js";

const grant = (amount: number) => cmd({ type: "wallet.grant", amountMicros: yuan(amount), reason: "promo" });
const debit = (amount: number) =>
  cmd({ type: "wallet.debit", amountMicros: yuan(amount), description: null });
const reserve = (id: string, amount: number, expiresAt = 10_000) =>
  cmd({ type: "wallet.reserve", reservationId: id, amountMicros: yuan(amount), expiresAt });

describe("wallet machine", () => {
  describe("debit", () => {
    it("given credit, when debited within the available balance, then wallet.debited with the balance after", () => {
      const result = when(given(grant(100)), debit(0.15));
      expect(result).toMatchObject({
        ok: true,
        fact: { type: "wallet.debited", amountMicros: "150000", balanceAfterMicros: "99850000" },
      });
    });

    it("given credit, when debited exactly the available balance, then the balance is zero", () => {
      const result = when(given(grant(10)), debit(10));
      expect(result.ok && result.state.context.balanceMicros).toBe(0n);
    });

    it("given credit, when debited one micro-unit more than available, then insufficient_balance and nothing changes", () => {
      const state = given(grant(10));
      const result = when(
        state,
        cmd({ type: "wallet.debit", amountMicros: yuan(10) + 1n, description: null }),
      );
      expect(result).toEqual({ ok: false, code: "insufficient_balance" });
    });

    it("given a reservation holds credit, when debited more than what is not held, then insufficient_balance", () => {
      const state = given(grant(10), reserve("r1", 8));
      expect(when(state, debit(3))).toEqual({ ok: false, code: "insufficient_balance" });
      expect(when(state, debit(2)).ok).toBe(true);
    });
  });

  describe("reservations", () => {
    it("given a reservation, when captured in part, then the rest is released at once", () => {
      const state = given(grant(10), reserve("r1", 6));
      const result = when(
        state,
        cmd({ type: "wallet.capture", reservationId: "r1", amountMicros: yuan(4), at: 2_000 }),
      );
      expect(result).toMatchObject({
        ok: true,
        fact: { type: "wallet.captured", amountMicros: "4000000", releasedMicros: "2000000" },
      });
      if (!result.ok) return;
      expect(result.state.context.balanceMicros).toBe(yuan(6));
      expect(result.state.context.reservedMicros).toBe(0n);
      expect(result.state.context.reservations).toEqual({});
    });

    it("given a reservation, when captured without an amount, then all of it is captured", () => {
      const result = when(
        given(grant(10), reserve("r1", 6)),
        cmd({ type: "wallet.capture", reservationId: "r1", amountMicros: null }),
      );
      expect(result).toMatchObject({ ok: true, fact: { amountMicros: "6000000", releasedMicros: "0" } });
    });

    it("given a reservation, when capturing more than reserved, then capture_exceeds_reservation", () => {
      const result = when(
        given(grant(10), reserve("r1", 6)),
        cmd({ type: "wallet.capture", reservationId: "r1", amountMicros: yuan(7) }),
      );
      expect(result).toEqual({ ok: false, code: "capture_exceeds_reservation" });
    });

    it("given a reservation past its expiry, when captured, then reservation_expired", () => {
      const state = given(grant(10), reserve("r1", 6, 5_000));
      const result = when(
        state,
        cmd({ type: "wallet.capture", reservationId: "r1", amountMicros: null, at: 5_000 }),
      );
      expect(result).toEqual({ ok: false, code: "reservation_expired" });
    });

    it("given a reservation, when it expires before its time, then reservation_not_expired; at its time, wallet.expired", () => {
      const state = given(grant(10), reserve("r1", 6, 5_000));
      expect(when(state, cmd({ type: "wallet.expire", reservationId: "r1", at: 4_999 }))).toEqual({
        ok: false,
        code: "reservation_not_expired",
      });
      const expired = when(state, cmd({ type: "wallet.expire", reservationId: "r1", at: 5_000 }));
      expect(expired).toMatchObject({ ok: true, fact: { type: "wallet.expired", amountMicros: "6000000" } });
      expect(expired.ok && availableMicros(expired.state.context)).toBe(yuan(10));
    });

    it("given a released reservation, when released or captured again, then reservation_not_found", () => {
      const state = given(grant(10), reserve("r1", 6), cmd({ type: "wallet.release", reservationId: "r1" }));
      expect(when(state, cmd({ type: "wallet.release", reservationId: "r1" }))).toEqual({
        ok: false,
        code: "reservation_not_found",
      });
      expect(when(state, cmd({ type: "wallet.capture", reservationId: "r1", amountMicros: null }))).toEqual({
        ok: false,
        code: "reservation_not_found",
      });
    });

    it("given no credit, when reserving, then insufficient_balance", () => {
      expect(when(given(), reserve("r1", 1))).toEqual({ ok: false, code: "insufficient_balance" });
    });
  });

  describe("freeze", () => {
    it("given a frozen wallet, when debited, reserved or captured, then wallet_frozen", () => {
      const state = given(grant(10), reserve("r1", 2), cmd({ type: "wallet.freeze", reason: "risk review" }));
      expect(state.value).toBe("frozen");
      expect(when(state, debit(1))).toEqual({ ok: false, code: "wallet_frozen" });
      expect(when(state, reserve("r2", 1))).toEqual({ ok: false, code: "wallet_frozen" });
      expect(when(state, cmd({ type: "wallet.capture", reservationId: "r1", amountMicros: null }))).toEqual({
        ok: false,
        code: "wallet_frozen",
      });
    });

    it("given a frozen wallet, when granted or a reservation released, then it is accepted", () => {
      const state = given(grant(10), reserve("r1", 2), cmd({ type: "wallet.freeze", reason: null }));
      expect(when(state, grant(1)).ok).toBe(true);
      expect(when(state, cmd({ type: "wallet.release", reservationId: "r1" })).ok).toBe(true);
    });

    it("given a frozen wallet, when frozen again, then wallet_already_frozen; when unfrozen, debits work again", () => {
      const state = given(grant(10), cmd({ type: "wallet.freeze", reason: null }));
      expect(when(state, cmd({ type: "wallet.freeze", reason: null }))).toEqual({
        ok: false,
        code: "wallet_already_frozen",
      });
      const thawed = given(
        grant(10),
        cmd({ type: "wallet.freeze", reason: null }),
        cmd({ type: "wallet.unfreeze" }),
      );
      expect(thawed.value).toBe("active");
      expect(when(thawed, debit(1)).ok).toBe(true);
    });

    it("given an active wallet, when unfrozen, then wallet_not_frozen", () => {
      expect(when(given(), cmd({ type: "wallet.unfreeze" }))).toEqual({
        ok: false,
        code: "wallet_not_frozen",
      });
    });
  });
});
