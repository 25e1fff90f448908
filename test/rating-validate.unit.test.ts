import { describe, expect, it } from "vitest";
import { validateRateCardPrices, validateRateCardVersion } from "../domain/rating/index.js";

const graduated = {
  metric: "tokens",
  pricing: "graduated",
  tiers: [
    { upTo: "1000", unitAmount: "0.01" },
    { upTo: "10000", unitAmount: "0.008", flatAmount: "1" },
    { upTo: null, unitAmount: "0.005" },
  ],
};

const validVersion = { currency: "CNY", effectiveFrom: 1_735_689_600_000, prices: [graduated] };

function withTiers(tiers: unknown) {
  return { ...validVersion, prices: [{ ...graduated, tiers }] };
}

function withPrice(overrides: Record<string, unknown>) {
  return {
    ...validVersion,
    prices: [{ metric: "tokens", pricing: "per_unit", unitAmount: "1", ...overrides }],
  };
}

describe("validateRateCardVersion", () => {
  it("accepts a valid version and returns a copy", () => {
    const result = validateRateCardVersion(validVersion);
    expect(result).toEqual({ ok: true, value: validVersion });
    expect(result.ok && result.value.prices[0]).not.toBe(graduated);
  });

  it("accepts every pricing model with filters and an allowance", () => {
    const prices = [
      { metric: "a", pricing: "per_unit", unitAmount: "0.000000075", filters: { model: "r1" } },
      { metric: "b", pricing: "package", packageSize: "0.5", packageAmount: "2", rounding: "down" },
      { ...graduated, metric: "c", freeAllowance: { quantity: "1000", period: "day" } },
      { ...graduated, metric: "d", pricing: "volume" },
    ];
    expect(validateRateCardPrices(prices)).toEqual({ ok: true, value: prices });
  });

  it("drops empty filters", () => {
    const result = validateRateCardPrices([
      { metric: "a", pricing: "per_unit", unitAmount: "1", filters: {} },
    ]);
    expect(result).toEqual({ ok: true, value: [{ metric: "a", pricing: "per_unit", unitAmount: "1" }] });
  });

  it.each([
    ["a non-object", "nope", "invalid_rate_card", ""],
    ["an unknown top-level field", { ...validVersion, version: 2 }, "invalid_rate_card", "version"],
    ["an unsupported currency", { ...validVersion, currency: "XYZ" }, "unsupported_currency", "currency"],
    ["a lower-case currency", { ...validVersion, currency: "cny" }, "unsupported_currency", "currency"],
    [
      "a fractional effectiveFrom",
      { ...validVersion, effectiveFrom: 1.5 },
      "invalid_rate_card",
      "effectiveFrom",
    ],
    [
      "a negative effectiveFrom",
      { ...validVersion, effectiveFrom: -1 },
      "invalid_rate_card",
      "effectiveFrom",
    ],
    ["no prices", { ...validVersion, prices: [] }, "invalid_rate_card", "prices"],
    ["prices that are not a list", { ...validVersion, prices: {} }, "invalid_rate_card", "prices"],
    ["a price that is not an object", { ...validVersion, prices: [null] }, "invalid_rate_card", "prices[0]"],
    ["an unknown pricing model", withPrice({ pricing: "tiered" }), "invalid_rate_card", "prices[0].pricing"],
    ["an empty metric", withPrice({ metric: "" }), "invalid_rate_card", "prices[0].metric"],
    ["a field of another model", withPrice({ tiers: [] }), "invalid_rate_card", "prices[0].tiers"],
    ["a negative unit amount", withPrice({ unitAmount: "-1" }), "invalid_amount", "prices[0].unitAmount"],
    ["a numeric unit amount", withPrice({ unitAmount: 0.5 }), "invalid_amount", "prices[0].unitAmount"],
    ["an exponent", withPrice({ unitAmount: "1e-3" }), "invalid_amount", "prices[0].unitAmount"],
    [
      "13 decimal places",
      withPrice({ unitAmount: "0.0000000000001" }),
      "invalid_amount",
      "prices[0].unitAmount",
    ],
    ["10 integer digits", withPrice({ unitAmount: "1000000000" }), "invalid_amount", "prices[0].unitAmount"],
    ["a missing unit amount", withPrice({ unitAmount: undefined }), "invalid_amount", "prices[0].unitAmount"],
    [
      "a filter value that is not text",
      withPrice({ filters: { model: 1 } }),
      "invalid_rate_card",
      "prices[0].filters.model",
    ],
    ["filters that are a list", withPrice({ filters: ["a"] }), "invalid_rate_card", "prices[0].filters"],
    [
      "too many filters",
      withPrice({ filters: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, "v"])) }),
      "invalid_rate_card",
      "prices[0].filters",
    ],
    [
      "an allowance period of a week",
      withPrice({ freeAllowance: { quantity: "1", period: "week" } }),
      "invalid_rate_card",
      "prices[0].freeAllowance.period",
    ],
    [
      "a negative allowance",
      withPrice({ freeAllowance: { quantity: "-1", period: "day" } }),
      "invalid_quantity",
      "prices[0].freeAllowance.quantity",
    ],
    [
      "a package size of zero",
      withPrice({
        pricing: "package",
        unitAmount: undefined,
        packageSize: "0",
        packageAmount: "1",
        rounding: "up",
      }),
      "invalid_quantity",
      "prices[0].packageSize",
    ],
    [
      "an unknown package rounding",
      withPrice({
        pricing: "package",
        unitAmount: undefined,
        packageSize: "10",
        packageAmount: "1",
        rounding: "nearest",
      }),
      "invalid_rate_card",
      "prices[0].rounding",
    ],
    ["no tiers", withTiers([]), "invalid_rate_card", "prices[0].tiers"],
    [
      "a misspelt tier field",
      withTiers([{ upto: null, unitAmount: "1" }]),
      "invalid_rate_card",
      "prices[0].tiers[0].upto",
    ],
    ["a missing upTo", withTiers([{ unitAmount: "1" }]), "invalid_rate_card", "prices[0].tiers[0].upTo"],
    [
      "a bounded last tier",
      withTiers([{ upTo: "10", unitAmount: "1" }]),
      "invalid_tiers",
      "prices[0].tiers[0].upTo",
    ],
    [
      "an unbounded tier before the last",
      withTiers([
        { upTo: null, unitAmount: "1" },
        { upTo: null, unitAmount: "2" },
      ]),
      "invalid_tiers",
      "prices[0].tiers[0].upTo",
    ],
    [
      "a first tier up to zero",
      withTiers([
        { upTo: "0", unitAmount: "1" },
        { upTo: null, unitAmount: "2" },
      ]),
      "invalid_tiers",
      "prices[0].tiers[0].upTo",
    ],
    [
      "descending tiers",
      withTiers([
        { upTo: "100", unitAmount: "1" },
        { upTo: "50", unitAmount: "1" },
        { upTo: null, unitAmount: "2" },
      ]),
      "invalid_tiers",
      "prices[0].tiers[1].upTo",
    ],
    [
      "repeated tier bounds",
      withTiers([
        { upTo: "100", unitAmount: "1" },
        { upTo: "100.0", unitAmount: "1" },
        { upTo: null, unitAmount: "2" },
      ]),
      "invalid_tiers",
      "prices[0].tiers[1].upTo",
    ],
    [
      "a malformed flat amount",
      withTiers([{ upTo: null, unitAmount: "1", flatAmount: "ten" }]),
      "invalid_amount",
      "prices[0].tiers[0].flatAmount",
    ],
    [
      "more tiers than the limit",
      withTiers([
        ...Array.from({ length: 32 }, (_, i) => ({ upTo: String(i + 1), unitAmount: "1" })),
        { upTo: null, unitAmount: "1" },
      ]),
      "invalid_rate_card",
      "prices[0].tiers",
    ],
    [
      "two prices with the same metric and filters",
      {
        ...validVersion,
        prices: [
          { metric: "t", pricing: "per_unit", unitAmount: "1", filters: { a: "1", b: "2" } },
          {
            metric: "t",
            pricing: "volume",
            tiers: [{ upTo: null, unitAmount: "1" }],
            filters: { b: "2", a: "1" },
          },
        ],
      },
      "duplicate_price",
      "prices[1]",
    ],
  ])("rejects %s", (_case, input, code, path) => {
    const result = validateRateCardVersion(input);
    expect(result).toMatchObject({ ok: false, code, path });
    expect(result.ok || result.message.length > 0).toBe(true);
  });
});
