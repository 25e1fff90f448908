import type { BenchOutcome, BenchRow } from "./harness.js";

const fmt = (value: number | null | undefined, unit = ""): string => {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const text = Math.abs(value) >= 1000 ? Math.round(value).toLocaleString("en-US") : String(value);
  return unit ? `${text} ${unit}` : text;
};

const verdict = (row: BenchRow): string =>
  row.pass === true ? "pass" : row.pass === false ? "FAIL" : "info";

/** The results table: name, measured, baseline, ratio, target, pass/fail; notes follow, numbered. */
export function renderTable(outcomes: readonly BenchOutcome[]): string {
  const header = ["#", "benchmark", "measured", "baseline", "ratio", "target", "result"];
  const lines: string[][] = [];
  const notes: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.error) {
      lines.push([String(lines.length + 1), outcome.benchmark, "—", "—", "—", "—", "ERROR"]);
      notes.push(`${lines.length}. ${outcome.error}`);
      continue;
    }
    for (const row of outcome.rows) {
      lines.push([
        String(lines.length + 1),
        row.name,
        row.display ?? fmt(row.measured, row.unit),
        fmt(row.baseline, row.unit),
        row.ratio === null || row.ratio === undefined ? "—" : `${row.ratio.toFixed(2)}×`,
        row.target ? row.target : "—",
        verdict(row),
      ]);
      if (row.notes) notes.push(`${lines.length}. ${row.notes}`);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const render = (cells: string[]) =>
    "| " +
    cells
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join(" | ") +
    " |";
  return [
    render(header),
    "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|",
    ...lines.map(render),
    "",
    "Notes:",
    ...notes.map((n) => `  ${n}`),
  ].join("\n");
}

export function summary(outcomes: readonly BenchOutcome[]): { targets: number; met: number; errors: number } {
  const rows = outcomes.flatMap((o) => o.rows).filter((r) => r.pass === true || r.pass === false);
  return {
    targets: rows.length,
    met: rows.filter((r) => r.pass === true).length,
    errors: outcomes.filter((o) => o.error).length,
  };
}
