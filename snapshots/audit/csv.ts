/** A CSV cell: text, or an amount (a plain decimal string such as "-1.50"). */
export type CsvCell = string | number | { amount: string };

const decimal = /^-?\d+(\.\d+)?$/;

/**
 * Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return) as a formula, so a
 * merchant-chosen name like `=HYPERLINK(…)` could act when an accountant opens the export. Such
 * text cells get a leading `'`, which spreadsheets show as text (OWASP "CSV injection"). Amounts
 * are exempt: they are our own decimal strings, checked to be nothing else, and "-1.50" must stay
 * a number that sums.
 */
const formulaStart = /^[=+\-@\t\r]/;

export function csvCell(cell: CsvCell): string {
  let text: string;
  if (typeof cell === "object") {
    if (!decimal.test(cell.amount)) throw new Error(`amount cell "${cell.amount}" is not a decimal string`);
    text = cell.amount;
  } else {
    text = String(cell);
    if (formulaStart.test(text)) text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One RFC 4180 line, CRLF-terminated. */
export function csvLine(cells: readonly CsvCell[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** Written first so spreadsheet programs read the file as UTF-8 (Chinese names stay readable). */
export const utf8Bom = "\uFEFF";
