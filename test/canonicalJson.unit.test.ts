import fc from "fast-check";
import stableStringify from "fast-json-stable-stringify";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../domain/canonicalJson.js";
import { jsonEqual } from "../domain/jsonEqual.js";

describe("canonical JSON", () => {
  it("writes exactly the bytes fast-json-stable-stringify writes, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(stableStringify(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it("escapes quotes, control characters and lone surrogates like JSON.stringify", () => {
    const tricky = { 'a"b': "line\nbreak", "\u0001": "\ud800", 张三: "𠮷", z: [undefined, 1.5, -0, null] };
    expect(canonicalJson(tricky)).toBe(stableStringify(tricky));
  });

  it("writes the same bytes for a tree already in sorted order (the JSON.stringify path)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const sorted: unknown = JSON.parse(stableStringify(value));
        expect(canonicalJson(sorted)).toBe(stableStringify(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it("sorts index-like keys as text, and honours toJSON, inside otherwise sorted trees", () => {
    const tricky = {
      a: { "10": 1, "9": 2, b: 3 },
      c: [{ d: new Date(0), e: { toJSON: () => ({ z: 1, y: 2 }) } }],
      f: { g: undefined, h: [undefined, () => 1] },
    };
    expect(canonicalJson(tricky)).toBe(stableStringify(tricky));
    expect(canonicalJson({ "0": 1, "01": 2, "1": 3 })).toBe('{"0":1,"01":2,"1":3}');
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
  });

  it("writes unsorted trees like fast-json-stable-stringify, whatever they hold", () => {
    const unsorted = (inner: unknown) => ({ z: 1, a: inner, m: [inner, undefined, () => 1] });
    class Point {
      constructor(
        readonly y: number,
        readonly x: number,
      ) {}
    }
    const cases: unknown[] = [
      unsorted({ "10": 1, "9": 2, b: 3 }),
      unsorted(JSON.parse('{"b":1,"__proto__":{"x":1},"a":2}')),
      unsorted({ toJSON: () => ({ q: 1, p: 2 }) }),
      unsorted(new Date(0)),
      unsorted(new Point(2, 1)),
      unsorted({ y: undefined, x: null, w: Number.NaN }),
    ];
    for (const value of cases) expect(canonicalJson(value)).toBe(stableStringify(value));
    expect(() => canonicalJson({ b: 1, a: [2n] })).toThrow(TypeError);
  });

  it("sorts keys of objects built in any order", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });
});

describe("JSON equality", () => {
  it("agrees with comparing canonical JSON, for any pair of JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(jsonEqual(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
        expect(jsonEqual(a, JSON.parse(JSON.stringify(a)))).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });
});
