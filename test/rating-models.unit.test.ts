import { describe, expect, it } from "vitest";
import {
  parseUsageQuantity,
  periodTotalMicros,
  validateRateCardPrices,
  type Price,
  type UsageQuantity,
} from "../domain/rating/index.js";

function price(input: unknown): Price {
  const result = validateRateCardPrices([input]);
  if (!result.ok) throw new Error(`${result.code} at ${result.path}: ${result.message}`);
  return result.value[0] as Price;
}

function quantity(text: string): UsageQuantity {
  const result = parseUsageQuantity(text);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

function micros(units: string): bigint {
  const [whole = "0", fraction = ""] = units.split(".");
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, "0"));
}

// Stripe's "Typographic" tiers: fonts 1-5 at 7 USD, 6-10 at 6.5 USD, 11+ at 6 USD.
const stripeTiers = [
  { upTo: "5", unitAmount: "7" },
  { upTo: "10", unitAmount: "6.5" },
  { upTo: null, unitAmount: "6" },
];

describe("per_unit", () => {
  const perToken = price({ metric: "tokens", pricing: "per_unit", unitAmount: "0.000002" });
  const fractionalMicro = price({ metric: "tokens", pricing: "per_unit", unitAmount: "0.00000125" });

  it.each([
    [perToken, "0", 0n],
    [perToken, "1", 2n],
    [perToken, "1000000", 2_000_000n],
    [perToken, "0.5", 1n],
    [fractionalMicro, "1", 1n], // 1.25 micros
    [fractionalMicro, "2", 3n], // 2.5 micros rounds half up
    [fractionalMicro, "3", 4n], // 3.75 micros
  ])("prices %# at %s units as %s micros", (given, cumulative, expected) => {
    expect(periodTotalMicros(given, quantity(cumulative))).toBe(expected);
  });
});

describe("package", () => {
  const roundingUp = price({
    metric: "tokens",
    pricing: "package",
    packageSize: "1000",
    packageAmount: "0.5",
    rounding: "up",
  });
  const roundingDown = price({ ...roundingUp, rounding: "down" });

  it.each([
    ["0", "0", "0"],
    ["1", "0.5", "0"],
    ["999", "0.5", "0"],
    ["999.999999999", "0.5", "0"],
    ["1000", "0.5", "0.5"],
    ["1000.000000001", "1", "0.5"],
    ["1999", "1", "0.5"],
    ["2000", "1", "1"],
  ])("charges %s units as %s rounding up and %s rounding down", (cumulative, up, down) => {
    expect(periodTotalMicros(roundingUp, quantity(cumulative))).toBe(micros(up));
    expect(periodTotalMicros(roundingDown, quantity(cumulative))).toBe(micros(down));
  });

  it("counts fractional package sizes exactly", () => {
    const halfHours = price({ ...roundingUp, packageSize: "0.5", packageAmount: "3" });
    expect(periodTotalMicros(halfHours, quantity("1.5"))).toBe(micros("9"));
    expect(periodTotalMicros(halfHours, quantity("1.500000001"))).toBe(micros("12"));
  });
});

describe("graduated", () => {
  const typographic = price({ metric: "fonts", pricing: "graduated", tiers: stripeTiers });

  // Stripe's documented graduated totals for the same tiers.
  it.each([
    ["1", "7"],
    ["5", "35"],
    ["6", "41.5"],
    ["20", "127.5"],
    ["25", "157.5"],
  ])("reproduces Stripe: %s fonts cost %s USD", (fonts, usd) => {
    expect(periodTotalMicros(typographic, quantity(fonts))).toBe(micros(usd));
  });

  it.each([
    ["10", "67.5"],
    ["10.5", "70.5"],
    ["11", "73.5"],
  ])("prices the boundary: %s fonts cost %s", (fonts, usd) => {
    expect(periodTotalMicros(typographic, quantity(fonts))).toBe(micros(usd));
  });

  it("reproduces a three-rate API example: 15,000 requests cost 107", () => {
    const requests = price({
      metric: "requests",
      pricing: "graduated",
      tiers: [
        { upTo: "1000", unitAmount: "0.01" },
        { upTo: "10000", unitAmount: "0.008" },
        { upTo: null, unitAmount: "0.005" },
      ],
    });
    expect(periodTotalMicros(requests, quantity("15000"))).toBe(micros("107"));
  });

  it("charges a tier's flat amount once it is entered, not before", () => {
    const flat = price({
      metric: "seats",
      pricing: "graduated",
      tiers: [
        { upTo: "100", unitAmount: "0", flatAmount: "10" },
        { upTo: null, unitAmount: "0.1", flatAmount: "5" },
      ],
    });
    expect(periodTotalMicros(flat, quantity("0"))).toBe(0n);
    expect(periodTotalMicros(flat, quantity("1"))).toBe(micros("10"));
    expect(periodTotalMicros(flat, quantity("100"))).toBe(micros("10"));
    expect(periodTotalMicros(flat, quantity("101"))).toBe(micros("15.1"));
  });
});

describe("volume", () => {
  const typographic = price({ metric: "fonts", pricing: "volume", tiers: stripeTiers });

  // Stripe's documented volume totals: the whole quantity at the reached tier's rate.
  it.each([
    ["1", "7"],
    ["5", "35"],
    ["6", "39"],
    ["10", "65"],
    ["11", "66"],
    ["20", "120"],
    ["25", "150"],
  ])("reproduces Stripe: %s fonts cost %s USD", (fonts, usd) => {
    expect(periodTotalMicros(typographic, quantity(fonts))).toBe(micros(usd));
  });

  // Lago's documented volume example, where tier flat fees make the total drop at each boundary.
  const apiCalls = price({
    metric: "api_calls",
    pricing: "volume",
    tiers: [
      { upTo: "10000", unitAmount: "0.001", flatAmount: "10" },
      { upTo: "50000", unitAmount: "0.0008", flatAmount: "10" },
      { upTo: "100000", unitAmount: "0.0006", flatAmount: "10" },
      { upTo: null, unitAmount: "0.0004", flatAmount: "10" },
    ],
  });

  it("reproduces Lago: 65,000 calls are due 49", () => {
    expect(periodTotalMicros(apiCalls, quantity("65000"))).toBe(micros("49"));
  });

  it.each([
    ["0", "0"],
    ["10000", "20"],
    ["10001", "18.0008"],
    ["50000", "50"],
    ["50001", "40.0006"],
    ["100000", "70"],
    ["100001", "50.0004"],
    ["200000", "90"],
  ])("at %s calls the period is due %s", (calls, due) => {
    expect(periodTotalMicros(apiCalls, quantity(calls))).toBe(micros(due));
  });
});

describe("free allowance", () => {
  it("takes the allowance off before tiers count", () => {
    const graduated = price({
      metric: "fonts",
      pricing: "graduated",
      tiers: stripeTiers,
      freeAllowance: { quantity: "100", period: "month" },
    });
    expect(periodTotalMicros(graduated, quantity("100"))).toBe(0n);
    expect(periodTotalMicros(graduated, quantity("106"))).toBe(micros("41.5"));
  });

  it("never charges for usage inside the allowance, whatever the model", () => {
    const packaged = price({
      metric: "tokens",
      pricing: "package",
      packageSize: "1000",
      packageAmount: "1",
      rounding: "up",
      freeAllowance: { quantity: "500", period: "day" },
    });
    expect(periodTotalMicros(packaged, quantity("500"))).toBe(0n);
    expect(periodTotalMicros(packaged, quantity("500.1"))).toBe(micros("1"));
    expect(periodTotalMicros(packaged, quantity("1500"))).toBe(micros("1"));
    expect(periodTotalMicros(packaged, quantity("1501"))).toBe(micros("2"));
  });
});
