/**
 * An RFC 3339 date-time that names its offset (`2026-11-27T08:00:00Z`, `2026-11-27T16:00:00+08:00`),
 * as ms since the epoch; NaN for anything else. `Date.parse` alone also takes a date without a
 * time, and a time without an offset as the server's local time: a client in Beijing sending its
 * wall clock would be read eight hours off, silently. The API's request schemas check the same form
 * (zod's `iso.datetime({ offset: true })`; test/offset-time.unit.test.ts holds the two equal).
 */
export function parseOffsetTime(text: string): number {
  const match = offsetTimeForm.exec(text);
  if (match === null) return Number.NaN;
  const [, year, month, day, hour, minute, second, offsetHour, offsetMinute] = match.map(Number) as number[];
  if (month === undefined || day === undefined || year === undefined) return Number.NaN;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return Number.NaN;
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) return Number.NaN;
  // With "Z" the offset's groups are absent (NaN), which passes.
  if ((offsetHour ?? 0) > 23 || (offsetMinute ?? 0) > 59) return Number.NaN;
  return Date.parse(text);
}

// Fractional seconds of any length, as zod's check takes them; Date.parse keeps milliseconds.
const offsetTimeForm = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
