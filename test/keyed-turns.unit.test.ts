import { describe, expect, it } from "vitest";
import { KeyedTurns } from "../domain/keyedTurns.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("KeyedTurns", () => {
  it("runs one task at a time per key, in arrival order; other keys run alongside; a failure does not stop the next", async () => {
    const turns = new KeyedTurns();
    const log: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        log.push(`${name} start`);
        await tick();
        log.push(`${name} end`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      turns.run("a", task("a1", true)),
      turns.run("a", task("a2")),
      turns.run("b", task("b1")),
    ]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : "failed"))).toEqual([
      "failed",
      "a2",
      "b1",
    ]);
    expect(log.indexOf("a1 end")).toBeLessThan(log.indexOf("a2 start"));
    expect(log.indexOf("b1 start")).toBeLessThan(log.indexOf("a1 end"));
  });
});
