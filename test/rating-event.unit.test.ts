import { describe, expect, it } from "vitest";
import { rateEvent, validateRateCardPrices, type Price, type RatedEvent } from "../domain/rating/index.js";

function price(input: unknown): Price {
  const result = validateRateCardPrices([input]);
  if (!result.ok) throw new Error(`${result.code} at ${result.path}: ${result.message}`);
  return result.value[0] as Price;
}

function rated(given: Price, cumulativeBefore: string, quantity: string): RatedEvent {
  const result = rateEvent(given, cumulativeBefore, quantity);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value;
}

/** Rates events one after another from an empty period and returns each charge. */
function chargesOf(given: Price, quantities: readonly string[]): bigint[] {
  let cumulative = "0";
  return quantities.map((quantity) => {
    const event = rated(given, cumulative, quantity);
    cumulative = event.cumulativeAfter;
    return event.chargeMicros;
  });
}

const stripeTiers = [
  { upTo: "5", unitAmount: "7" },
  { upTo: "10", unitAmount: "6.5" },
  { upTo: null, unitAmount: "6" },
];

describe("rateEvent on per_unit", () => {
  const perToken = price({ metric: "tokens", pricing: "per_unit", unitAmount: "0.000002" });

  it("charges the units at the unit amount and advances the period's usage", () => {
    expect(rated(perToken, "1000", "1500.5")).toEqual({
      chargeMicros: 3001n,
      freeQuantityUsed: "0",
      cumulativeAfter: "2500.5",
      breakdown: [{ quantity: "1500.5", amountMicros: 3001n }],
    });
  });

  it("carries sub-micro amounts to later events instead of losing them", () => {
    const tiny = price({ metric: "tokens", pricing: "per_unit", unitAmount: "0.0000004" });
    // Cumulative 0.4, 0.8, 1.2, 1.6, 2.0 micros round half up to 0, 1, 1, 2, 2.
    expect(chargesOf(tiny, ["1", "1", "1", "1", "1"])).toEqual([0n, 1n, 0n, 1n, 0n]);
  });

  it("charges nothing for an event of zero units", () => {
    expect(rated(perToken, "7", "0")).toEqual({
      chargeMicros: 0n,
      freeQuantityUsed: "0",
      cumulativeAfter: "7",
      breakdown: [],
    });
  });

  it("normalises quantities to canonical decimal text", () => {
    expect(rated(perToken, "0.50", "1.250000000").cumulativeAfter).toBe("1.75");
  });
});

describe("rateEvent on graduated", () => {
  const typographic = price({ metric: "fonts", pricing: "graduated", tiers: stripeTiers });

  it("prices an event that ends exactly at a tier's upTo in that tier only", () => {
    expect(rated(typographic, "0", "5").breakdown).toEqual([
      { tier: 0, quantity: "5", amountMicros: 35_000_000n },
    ]);
  });

  it("prices the next unit in the next tier", () => {
    expect(rated(typographic, "5", "1").breakdown).toEqual([
      { tier: 1, quantity: "1", amountMicros: 6_500_000n },
    ]);
  });

  it("splits an event crossing several tiers into one line per tier", () => {
    const event = rated(typographic, "3", "9");
    expect(event.breakdown).toEqual([
      { tier: 0, quantity: "2", amountMicros: 14_000_000n },
      { tier: 1, quantity: "5", amountMicros: 32_500_000n },
      { tier: 2, quantity: "2", amountMicros: 12_000_000n },
    ]);
    expect(event.chargeMicros).toBe(58_500_000n);
  });

  it("charges a flat amount with the event that enters the tier, and only then", () => {
    const flat = price({
      metric: "seats",
      pricing: "graduated",
      tiers: [
        { upTo: "100", unitAmount: "0", flatAmount: "10" },
        { upTo: null, unitAmount: "0.1", flatAmount: "5" },
      ],
    });
    expect(chargesOf(flat, ["1", "49", "50", "1", "1"])).toEqual([10_000_000n, 0n, 0n, 5_100_000n, 100_000n]);
  });
});

describe("rateEvent on package", () => {
  const thousands = price({
    metric: "tokens",
    pricing: "package",
    packageSize: "1000",
    packageAmount: "0.5",
    rounding: "up",
  });

  it("charges a started package once, with the event that starts it", () => {
    // Usage 1, 999, 1000, 1001, 2001, 2002: packages 1, 1, 1, 2, 3, 3.
    expect(chargesOf(thousands, ["1", "998", "1", "1", "1000", "1"])).toEqual([
      500_000n,
      0n,
      0n,
      500_000n,
      500_000n,
      0n,
    ]);
  });

  it("charges whole packages only when rounding down", () => {
    const down = price({ ...thousands, rounding: "down" });
    expect(chargesOf(down, ["999", "1", "1500", "500"])).toEqual([0n, 500_000n, 500_000n, 500_000n]);
  });
});

describe("rateEvent with a free allowance", () => {
  const allowance = price({
    metric: "images",
    pricing: "per_unit",
    unitAmount: "0.2",
    freeAllowance: { quantity: "100", period: "month" },
  });

  it("charges nothing for an event entirely inside the allowance", () => {
    expect(rated(allowance, "0", "60")).toEqual({
      chargeMicros: 0n,
      freeQuantityUsed: "60",
      cumulativeAfter: "60",
      breakdown: [],
    });
  });

  it("charges an event that exhausts the allowance exactly nothing", () => {
    expect(rated(allowance, "60", "40").chargeMicros).toBe(0n);
  });

  it("charges only the part of an event past the allowance", () => {
    expect(rated(allowance, "80", "30")).toEqual({
      chargeMicros: 2_000_000n,
      freeQuantityUsed: "20",
      cumulativeAfter: "110",
      breakdown: [{ quantity: "10", amountMicros: 2_000_000n }],
    });
  });

  it("charges every unit after the allowance is used up", () => {
    expect(rated(allowance, "150", "5")).toMatchObject({ chargeMicros: 1_000_000n, freeQuantityUsed: "0" });
  });

  it("counts tiers from the first billable unit", () => {
    const tiered = price({
      metric: "fonts",
      pricing: "graduated",
      tiers: stripeTiers,
      freeAllowance: { quantity: "2", period: "day" },
    });
    expect(rated(tiered, "0", "8")).toMatchObject({
      chargeMicros: 41_500_000n,
      freeQuantityUsed: "2",
      breakdown: [
        { tier: 0, quantity: "5", amountMicros: 35_000_000n },
        { tier: 1, quantity: "1", amountMicros: 6_500_000n },
      ],
    });
  });
});

describe("rateEvent on volume", () => {
  const steep = price({
    metric: "calls",
    pricing: "volume",
    tiers: [
      { upTo: "100", unitAmount: "1" },
      { upTo: null, unitAmount: "0.5" },
    ],
  });

  it("credits the difference when usage crosses into a cheaper tier: the period is due 101 × 0.5", () => {
    const event = rated(steep, "100", "1");
    expect(event.chargeMicros).toBe(-49_500_000n);
    expect(event.breakdown).toEqual([{ tier: 1, quantity: "1", amountMicros: -49_500_000n }]);
  });

  it("charges each event the change in the period's volume total, so they always add up to it", () => {
    // 100 units cost 100; 101 cost 50.5; 200 cost 100; 201 cost 100.5; 203 cost 101.5.
    const charges = chargesOf(steep, ["100", "1", "99", "1", "2"]);
    expect(charges).toEqual([100_000_000n, -49_500_000n, 49_500_000n, 500_000n, 1_000_000n]);
    expect(charges.reduce((sum, charge) => sum + charge, 0n)).toBe(101_500_000n);
  });

  it("charges the reached tier's rate on the whole volume while the total rises", () => {
    const typographic = price({ metric: "fonts", pricing: "volume", tiers: stripeTiers });
    // 5 fonts cost 35; 6 fonts cost 39 (all at 6.5), so the sixth font's event is charged 4.
    expect(chargesOf(typographic, ["5", "1"])).toEqual([35_000_000n, 4_000_000n]);
  });
});

describe("rateEvent errors", () => {
  const perUnit = price({ metric: "tokens", pricing: "per_unit", unitAmount: "1" });

  it.each([
    ["-1", "quantity"],
    ["1e3", "quantity"],
    ["abc", "quantity"],
    ["", "quantity"],
    [".5", "quantity"],
    ["0.0000000001", "quantity"],
    ["1000000000000000", "quantity"],
  ])("rejects quantity %j", (quantity, path) => {
    expect(rateEvent(perUnit, "0", quantity)).toMatchObject({ ok: false, code: "invalid_quantity", path });
  });

  it("rejects a malformed cumulative usage", () => {
    expect(rateEvent(perUnit, "-5", "1")).toMatchObject({
      ok: false,
      code: "invalid_quantity",
      path: "cumulativeBefore",
    });
  });

  it("rejects usage that would take the period past the quantity limit", () => {
    expect(rateEvent(perUnit, "999999999999999", "1")).toMatchObject({
      ok: false,
      code: "quantity_too_large",
    });
  });

  it("rejects usage whose period total would pass the amount limit", () => {
    const dear = price({ metric: "tokens", pricing: "per_unit", unitAmount: "999999999" });
    expect(rateEvent(dear, "0", "2")).toMatchObject({ ok: false, code: "amount_too_large" });
    expect(rateEvent(dear, "0", "1")).toMatchObject({ ok: true });
  });
});
