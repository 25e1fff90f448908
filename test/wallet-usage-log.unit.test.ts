import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toLoggable } from "../domain/bigintJson.js";
import { walletFactOf } from "../machines/walletFacts.js";
import type { UsageDetail, WalletCommand, WalletContext } from "../machines/walletTypes.js";
import { walletCommandToLog, walletFactToLog } from "../machines/walletUsageLog.js";

const detail: fc.Arbitrary<UsageDetail> = fc.record({
  currency: fc.constantFrom("CNY", "USD"),
  dimensions: fc.constantFrom({}, { model: "flux" }, { model: "deepseek-r1", region: "cn-east" }),
  eventKey: fc.string({ minLength: 1, maxLength: 12 }),
  freeQuantity: fc.constantFrom("0", "2.5"),
  metric: fc.constantFrom("tokens_output", "images"),
  occurredAt: fc.nat(),
  quantity: fc.constantFrom("1", "1500", "0.25"),
  rateCardId: fc.constant("rc_1"),
  rateCardVersion: fc.integer({ min: 1, max: 9 }),
});
const stamp = { transactionId: fc.constant("wtx_usage_7"), at: fc.nat() };
const usageFields = {
  amountMicros: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  usageKey: fc.constant(`["images",[]]@0`),
  cumulativeAfter: fc.constantFrom("0", "12.5"),
  detail,
  ...stamp,
};
const usageCommand: fc.Arbitrary<WalletCommand> = fc.oneof(
  fc.record({
    type: fc.constant("wallet.charge" as const),
    floorMicros: fc.constantFrom(0n, -5_000_000n),
    ...usageFields,
  }),
  fc.record({ type: fc.constant("wallet.accrue" as const), ...usageFields }),
);
const after: fc.Arbitrary<WalletContext> = fc.record({
  balanceMicros: fc.bigInt({ min: -(10n ** 9n), max: 10n ** 12n }),
  reservedMicros: fc.bigInt({ min: 0n, max: 10n ** 6n }),
  reservations: fc.constant({}),
  usage: fc.constant({}),
});

/** Same members and the same key order as toLoggable's sorted copy: the same canonical bytes. */
function expectLoggedAsToLoggable(logged: unknown, value: unknown): void {
  expect(logged).toEqual(toLoggable(value));
  expect(JSON.stringify(logged)).toBe(JSON.stringify(toLoggable(value)));
}

describe("wallet usage logged directly", () => {
  it("given any charge or accrual, then logs it exactly as toLoggable would, keys sorted", () => {
    fc.assert(
      fc.property(usageCommand, (command) => expectLoggedAsToLoggable(walletCommandToLog(command), command)),
    );
  });

  it("given any usage fact, then logs it as it is, which is what toLoggable would write", () => {
    fc.assert(
      fc.property(usageCommand, after, (command, context) => {
        const fact = walletFactOf(command, context, context);
        expect(walletFactToLog(fact)).toBe(fact);
        expectLoggedAsToLoggable(walletFactToLog(fact), fact);
      }),
    );
  });

  it("given another command or fact, then logs toLoggable's copy", () => {
    const grant: WalletCommand = {
      type: "wallet.grant",
      amountMicros: 5n,
      reason: "welcome",
      transactionId: "wtx_1",
      at: 1,
    };
    const context: WalletContext = { balanceMicros: 5n, reservedMicros: 0n, reservations: {}, usage: {} };
    expectLoggedAsToLoggable(walletCommandToLog(grant), grant);
    expectLoggedAsToLoggable(
      walletFactToLog(walletFactOf(grant, context, context)),
      walletFactOf(grant, context, context),
    );
  });
});
