import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EntityState } from "../machines/kind.js";
import { usageCounterRetentionMs } from "../machines/wallet.js";
import { walletKind } from "../machines/walletKind.js";
import { decideWalletUsage } from "../machines/walletUsage.js";
import type { WalletCommand, WalletContext } from "../machines/walletTypes.js";
import { byMachine } from "./support/walletChart.js";

const day = 86_400_000;
const at = 200 * day;

const micros = fc.bigInt({ min: 0n, max: 10_000_000n });
const counters = fc.dictionary(
  fc.constantFrom('["tokens",[]]', '["images",[["model","flux"]]]'),
  fc.nat({ max: 1_000 }).map(String),
);
const usage = fc
  .array(fc.tuple(counters, fc.integer({ min: 0, max: 100 })), { maxLength: 3 })
  .map((parts) =>
    Object.fromEntries(
      parts.flatMap(([entries, daysAgo]) =>
        Object.entries(entries).map(([key, value]) => [`${key}@${at - daysAgo * day}`, value]),
      ),
    ),
  );
const state = fc.record({
  value: fc.constantFrom("active", "frozen"),
  context: fc.record({
    balanceMicros: fc.bigInt({ min: -5_000_000n, max: 10_000_000n }),
    reservedMicros: micros.map((m) => m / 4n),
    reservations: fc.constant({}),
    usage,
  }),
});
const detail = {
  eventKey: "evt_1",
  metric: "tokens",
  quantity: "5",
  occurredAt: at - 1,
  dimensions: {},
  rateCardId: "rc_1",
  rateCardVersion: 1,
  currency: "CNY",
  freeQuantity: "0",
};
const command: fc.Arbitrary<WalletCommand> = fc.oneof(
  fc.record({
    type: fc.constant("wallet.charge" as const),
    amountMicros: micros,
    floorMicros: fc.constantFrom(0n, -1_000_000n),
    usageKey: fc.constantFrom(`["tokens",[]]@${at - day}`, `["images",[["model","flux"]]]@${at}`),
    cumulativeAfter: fc.nat({ max: 5_000 }).map(String),
    // Events occur up to 35 days before their record, or months before it on a test clock.
    detail: fc.integer({ min: at - 150 * day, max: at }).map((occurredAt) => ({ ...detail, occurredAt })),
    transactionId: fc.constant("wtx_1"),
    at: fc.integer({ min: at, max: at + usageCounterRetentionMs }),
  }),
  fc.record({
    type: fc.constant("wallet.accrue" as const),
    amountMicros: micros,
    usageKey: fc.constant(`["tokens",[]]@${at}`),
    cumulativeAfter: fc.nat({ max: 5_000 }).map(String),
    detail: fc.integer({ min: at - 150 * day, max: at }).map((occurredAt) => ({ ...detail, occurredAt })),
    transactionId: fc.constant("wtx_2"),
    at: fc.integer({ min: at, max: at + usageCounterRetentionMs }),
  }),
);

describe("wallet usage decided directly", () => {
  it("given any wallet state, when charged or accrued, then decides exactly as the chart does", () => {
    fc.assert(
      fc.property(state, command, (given, usageCommand) => {
        expect(decideWalletUsage(given, usageCommand)).toEqual(byMachine(given, usageCommand));
      }),
      { numRuns: 3_000 },
    );
  });

  it("given a test clock months behind the ledger, then keeps the clock's period counters", () => {
    // The clock's month began 100 days before the ledger's time; its counter must survive the next event.
    const periodStart = at - 100 * day;
    const counter = `["tokens",[]]@${periodStart}`;
    const given: EntityState<WalletContext> = {
      value: "active",
      context: { balanceMicros: 0n, reservedMicros: 0n, reservations: {}, usage: { [counter]: "4" } },
    };
    const next = decideWalletUsage(given, {
      type: "wallet.accrue",
      amountMicros: 0n,
      usageKey: `["images",[]]@${periodStart}`,
      cumulativeAfter: "1",
      detail: { ...detail, occurredAt: periodStart + 3 * day },
      transactionId: "wtx_3",
      at,
    });
    expect(next).toMatchObject({ ok: true, next: { context: { usage: { [counter]: "4" } } } });
    // A counter 70 days older than the event is gone.
    const later = decideWalletUsage(given, {
      type: "wallet.accrue",
      amountMicros: 0n,
      usageKey: `["images",[]]@${at}`,
      cumulativeAfter: "1",
      detail: { ...detail, occurredAt: periodStart + usageCounterRetentionMs },
      transactionId: "wtx_4",
      at,
    });
    expect(later).toMatchObject({ ok: true, next: { context: { usage: { [`["images",[]]@${at}`]: "1" } } } });
    expect(later?.ok && Object.keys(later.next.context.usage)).toEqual([`["images",[]]@${at}`]);
  });

  it("given the boundary of the floor, then accepts at it and refuses one micro-unit past it", () => {
    const given: EntityState<WalletContext> = {
      value: "active",
      context: { balanceMicros: 1_000n, reservedMicros: 0n, reservations: {}, usage: {} },
    };
    const charge = (amountMicros: bigint): WalletCommand => ({
      type: "wallet.charge",
      amountMicros,
      floorMicros: -500n,
      usageKey: `["tokens",[]]@${at}`,
      cumulativeAfter: "1",
      detail,
      transactionId: "wtx_3",
      at,
    });
    expect(decideWalletUsage(given, charge(1_500n))).toEqual(byMachine(given, charge(1_500n)));
    expect(decideWalletUsage(given, charge(1_501n))).toEqual({ ok: false, code: "insufficient_balance" });
    expect(byMachine(given, charge(1_501n))).toEqual({ ok: false, code: "insufficient_balance" });
  });

  it("leaves every other command to the chart", () => {
    const given = walletKind.initialState();
    const grant: WalletCommand = {
      type: "wallet.grant",
      amountMicros: 1n,
      reason: "x",
      transactionId: "wtx_4",
      at,
    };
    expect(decideWalletUsage(given, grant)).toBeUndefined();
  });
});
