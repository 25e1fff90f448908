import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  parseUsageQuantity,
  periodTotalMicros,
  rateEvent,
  validateRateCardPrices,
  type UsageQuantity,
} from "../domain/rating/index.js";
import { decimalText, nanoUnits, price, quantityText } from "./support/ratingArbitraries.js";

const events = fc.array(quantityText(1_000n), { minLength: 1, maxLength: 12 });

function total(text: string): UsageQuantity {
  const result = parseUsageQuantity(text);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

describe("per-event charges", () => {
  it("add up to the period total for any split of the usage into events", () => {
    fc.assert(
      fc.property(price, events, (given, quantities) => {
        let cumulative = "0";
        let charged = 0n;
        for (const quantity of quantities) {
          const rated = rateEvent(given, cumulative, quantity);
          if (!rated.ok) throw new Error(`${rated.code}: ${rated.message}`);
          const { chargeMicros, breakdown, cumulativeAfter } = rated.value;
          // Only volume pricing lowers a period's total (a cheaper tier reached): a credit.
          if (given.pricing !== "volume") expect(chargeMicros).toBeGreaterThanOrEqual(0n);
          expect(breakdown.reduce((sum, line) => sum + line.amountMicros, 0n)).toBe(chargeMicros);
          charged += chargeMicros;
          cumulative = cumulativeAfter;
        }
        expect(charged).toBe(periodTotalMicros(given, total(cumulative)));
      }),
      { numRuns: 500 },
    );
  });

  it("give the same total whether usage arrives at once or split in two", () => {
    fc.assert(
      fc.property(price, quantityText(1_000n), quantityText(1_000n), (given, first, second) => {
        const whole = rateEvent(given, "0", decimalSum(first, second));
        const head = rateEvent(given, "0", first);
        if (!whole.ok || !head.ok) throw new Error("rating failed");
        const tail = rateEvent(given, head.value.cumulativeAfter, second);
        if (!tail.ok) throw new Error("rating failed");
        expect(head.value.chargeMicros + tail.value.chargeMicros).toBe(whole.value.chargeMicros);
        expect(tail.value.cumulativeAfter).toBe(whole.value.cumulativeAfter);
        const free = decimalSum(head.value.freeQuantityUsed, tail.value.freeQuantityUsed);
        expect(total(free)).toBe(whole.value.freeQuantityUsed);
      }),
      { numRuns: 500 },
    );
  });
});

describe("graduated totals", () => {
  it("equal pricing each whole unit at its tier's rate, plus each entered tier's flat amount", () => {
    // Whole-unit bounds and amounts in whole micros make the per-unit sum an exact oracle.
    const wholeTiers = fc
      .array(
        fc.tuple(
          fc.integer({ min: 1, max: 20 }),
          fc.integer({ min: 0, max: 5_000_000 }),
          fc.integer({ min: 0, max: 10 }),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((drafts) => {
        let bound = 0;
        return drafts.map(([step, rateMicros, flatMicros], index) => {
          bound += step;
          return {
            upTo: index === drafts.length - 1 ? null : bound,
            rateMicros: BigInt(rateMicros),
            flatMicros: BigInt(flatMicros),
          };
        });
      });
    fc.assert(
      fc.property(wholeTiers, fc.integer({ min: 0, max: 100 }), (drafts, units) => {
        const given = validateRateCardPrices([
          {
            metric: "tokens",
            pricing: "graduated",
            tiers: drafts.map(({ upTo, rateMicros, flatMicros }) => ({
              upTo: upTo === null ? null : String(upTo),
              unitAmount: decimalText(rateMicros, 6),
              flatAmount: decimalText(flatMicros * 1_000_000n, 6),
            })),
          },
        ]);
        if (!given.ok) throw new Error(given.message);
        let expected = 0n;
        const entered = new Set<number>();
        for (let unit = 1; unit <= units; unit++) {
          const tier = drafts.findIndex(({ upTo }) => upTo === null || unit <= upTo);
          const { rateMicros, flatMicros } = drafts[tier]!;
          expected += rateMicros + (entered.has(tier) ? 0n : flatMicros * 1_000_000n);
          entered.add(tier);
        }
        expect(periodTotalMicros(given.value[0]!, total(String(units)))).toBe(expected);
      }),
    );
  });
});

function decimalSum(a: string, b: string): string {
  const scale = (text: string) => {
    const [whole = "0", fraction = ""] = text.split(".");
    return BigInt(whole) * 10n ** 9n + BigInt(fraction.padEnd(9, "0"));
  };
  return decimalText(scale(a) + scale(b), nanoUnits);
}
