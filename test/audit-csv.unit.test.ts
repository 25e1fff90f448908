import { describe, expect, it } from "vitest";
import { csvCell, csvLine } from "../snapshots/audit/index.js";

describe("audit CSV cells", () => {
  it("quotes commas, quotes and line breaks (RFC 4180)", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('say "hi", then')).toBe('"say ""hi"", then"');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvLine(["a", 1, { amount: "0.20" }])).toBe("a,1,0.20\r\n");
  });

  it("neutralizes text a spreadsheet would run as a formula", () => {
    for (const text of ["=1+1", "+86 10", "-cmd", "@SUM(A1)", "\tx", "\rx"]) {
      expect(csvCell(text).replace(/^"/, "")).toMatch(/^'/);
    }
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell("商户 ¥")).toBe("商户 ¥");
  });

  it("writes amounts as plain decimals, negative ones included, and refuses anything else as an amount", () => {
    expect(csvCell({ amount: "-1.50" })).toBe("-1.50");
    expect(csvCell({ amount: "0.000001" })).toBe("0.000001");
    expect(() => csvCell({ amount: "=1-2" })).toThrow(/not a decimal/);
  });
});
