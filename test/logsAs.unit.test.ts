import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { logsAs, toLoggable } from "../domain/bigintJson.js";
import { jsonEqual } from "../domain/jsonEqual.js";

/** Values as commands and facts hold them in memory: JSON plus bigint amounts and undefined members. */
const live = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom("a", "b", "amountMicros", "type"),
      fc.option(tie("value"), { nil: undefined }),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value;

describe("a live value against its logged form", () => {
  it("given any value, then it logs as its own loggable copy after a JSON round trip", () => {
    fc.assert(
      fc.property(live, (value) => {
        expect(logsAs(value, JSON.parse(JSON.stringify(toLoggable(value)) ?? "null"))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it("given any two values, then it answers as comparing the loggable copy would", () => {
    fc.assert(
      fc.property(live, live, (a, b) => {
        const logged = toLoggable(b);
        expect(logsAs(a, logged)).toBe(jsonEqual(toLoggable(a), logged));
      }),
      { numRuns: 2_000 },
    );
  });

  it("given a bigint amount, then only its decimal digits match", () => {
    expect(logsAs({ amountMicros: 15_000n }, { amountMicros: "15000" })).toBe(true);
    expect(logsAs({ amountMicros: 15_000n }, { amountMicros: 15_000 })).toBe(false);
    expect(logsAs({ amountMicros: 15_000n }, { amountMicros: "15001" })).toBe(false);
    expect(logsAs({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(logsAs({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
});
