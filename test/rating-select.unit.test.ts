import { describe, expect, it } from "vitest";
import {
  priceKey,
  selectPrice,
  validateRateCardVersion,
  type RateCardVersion,
} from "../domain/rating/index.js";

function version(prices: unknown[]): RateCardVersion {
  const result = validateRateCardVersion({ currency: "CNY", effectiveFrom: 0, prices });
  if (!result.ok) throw new Error(`${result.code} at ${result.path}: ${result.message}`);
  return result.value;
}

const perUnit = (unitAmount: string, filters?: Record<string, string>) => ({
  metric: "tokens",
  pricing: "per_unit",
  unitAmount,
  ...(filters === undefined ? {} : { filters }),
});

describe("selectPrice", () => {
  const card = version([
    perUnit("1"),
    perUnit("2", { model: "deepseek-r1" }),
    perUnit("3", { model: "deepseek-r1", region: "cn" }),
    perUnit("4", { region: "cn" }),
    { metric: "images", pricing: "per_unit", unitAmount: "5" },
  ]);

  it.each([
    [{ model: "deepseek-r1", region: "cn" }, "3"],
    [{ model: "deepseek-r1", region: "cn", user: "u1" }, "3"],
    [{ model: "deepseek-r1" }, "2"],
    [{ model: "deepseek-r1", region: "us" }, "2"],
    [{ region: "cn" }, "4"],
    [{ model: "deepseek-v3" }, "1"],
    [{}, "1"],
  ])("for dimensions %j picks the price of %s", (dimensions, unitAmount) => {
    expect(selectPrice(card, "tokens", dimensions)).toMatchObject({ unitAmount });
  });

  it("breaks a tie between equally specific prices by list order", () => {
    const tie = version([perUnit("1", { region: "cn" }), perUnit("2", { model: "deepseek-r1" })]);
    expect(selectPrice(tie, "tokens", { model: "deepseek-r1", region: "cn" })).toMatchObject({
      unitAmount: "1",
    });
  });

  it("finds nothing for an unknown metric", () => {
    expect(selectPrice(card, "videos", { model: "deepseek-r1" })).toBeUndefined();
  });

  it("finds nothing when every price of the metric is filtered out", () => {
    const narrow = version([perUnit("2", { model: "deepseek-r1" })]);
    expect(selectPrice(narrow, "tokens", { model: "qwen" })).toBeUndefined();
  });

  it("keeps a filter keyed __proto__ from JSON as a filter", () => {
    const narrow = version([
      JSON.parse('{"metric":"tokens","pricing":"per_unit","unitAmount":"2","filters":{"__proto__":"x"}}'),
    ]);
    expect(selectPrice(narrow, "tokens", {})).toBeUndefined();
    expect(selectPrice(narrow, "tokens", JSON.parse('{"__proto__":"x"}'))).toMatchObject({ unitAmount: "2" });
  });

  it("does not match a filter through an inherited property", () => {
    const narrow = version([perUnit("2", { toString: "x" })]);
    expect(selectPrice(narrow, "tokens", {})).toBeUndefined();
  });
});

describe("priceKey", () => {
  it("ignores the order of filter keys", () => {
    expect(priceKey({ metric: "tokens", filters: { a: "1", b: "2" } })).toBe(
      priceKey({ metric: "tokens", filters: { b: "2", a: "1" } }),
    );
  });

  it("tells metrics and filters apart", () => {
    expect(priceKey({ metric: "tokens" })).not.toBe(priceKey({ metric: "tokens", filters: { a: "1" } }));
    expect(priceKey({ metric: "a", filters: { b: "c" } })).not.toBe(
      priceKey({ metric: "a,b", filters: { c: "" } }),
    );
  });
});
