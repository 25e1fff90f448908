import { describe, expect, it } from "vitest";
import { CustomerCache } from "../actors/customerCache.js";
import type { Customer } from "../actors/customers.js";

const customer = (
  env: "test" | "live",
  merchantId: string,
  externalId: string,
  name = externalId,
): Customer => ({
  id: `cus_${env}_${merchantId}_${externalId}`,
  externalId,
  name,
  email: null,
  testClockId: null,
  env,
  merchantId,
  createdAt: 0,
});

describe("customer cache", () => {
  it("finds a customer only in its own environment and merchant", () => {
    const cache = new CustomerCache(10);
    const kept = customer("test", "mer_a", "user_1");
    cache.set(kept);
    expect(cache.get("test", "mer_a", "user_1")).toBe(kept);
    expect(cache.get("live", "mer_a", "user_1")).toBeUndefined();
    expect(cache.get("test", "mer_b", "user_1")).toBeUndefined();
    expect(cache.get("test", "mer_a", "user_2")).toBeUndefined();
  });

  it("drops the oldest kept customer when full, and replacing one keeps its place in line", () => {
    const cache = new CustomerCache(3);
    const [a, b, c, d] = ["a", "b", "c", "d"].map((id) => customer("test", "mer_a", id));
    for (const each of [a, b, c]) cache.set(each!);
    const renamed = customer("test", "mer_a", "a", "renamed");
    cache.set(renamed);
    expect(cache.size).toBe(3);
    expect(cache.get("test", "mer_a", "a")?.name).toBe("renamed");

    cache.set(d!);
    expect(cache.size).toBe(3);
    // "a" was kept first: replacing it did not move it to the back of the line.
    expect(cache.get("test", "mer_a", "a")).toBeUndefined();
    expect(cache.get("test", "mer_a", "b")).toBe(b);
    expect(cache.get("test", "mer_a", "d")).toBe(d);
  });

  it("stays within its bound over many merchants", () => {
    const cache = new CustomerCache(50);
    for (let m = 0; m < 20; m++) {
      for (let i = 0; i < 20; i++) {
        const each = customer(m % 2 ? "live" : "test", `mer_${m}`, `user_${i}`);
        cache.set(each);
      }
    }
    expect(cache.size).toBe(50);
    let found = 0;
    for (let m = 0; m < 20; m++)
      for (let i = 0; i < 20; i++) if (cache.get(m % 2 ? "live" : "test", `mer_${m}`, `user_${i}`)) found++;
    expect(found).toBe(50);
    // The newest 50 are the ones kept.
    expect(cache.get("live", "mer_19", "user_19")).toBeDefined();
    expect(cache.get("test", "mer_0", "user_0")).toBeUndefined();
  });
});
