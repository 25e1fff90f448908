/** Time as the channels write it: Beijing wall-clock (UTC+8, no DST). */
import { beijingOffsetMs } from "../domain/beijingTime.js";

export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

function beijingFields(ms: number): { date: string; time: string; compact: string } {
  const d = new Date(ms + beijingOffsetMs);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return { date, time, compact: `${date.replaceAll("-", "")}${time.replaceAll(":", "")}` };
}

/** `2018-06-08T10:34:56+08:00` (WeChat `time_expire`, `success_time`). */
export function formatRfc3339Beijing(ms: number): string {
  const { date, time } = beijingFields(ms);
  return `${date}T${time}+08:00`;
}

/** `2018-06-08 10:34:56` (Alipay `timestamp`, `gmt_payment`, `time_expire`; WeChat bill rows). */
export function formatBeijingDateTime(ms: number): string {
  const { date, time } = beijingFields(ms);
  return `${date} ${time}`;
}

/** `2015-04-28 15:45:57.320` (Alipay `gmt_refund`). */
export function formatBeijingDateTimeMs(ms: number): string {
  return `${formatBeijingDateTime(ms)}.${pad(((ms % 1000) + 1000) % 1000, 3)}`;
}

/** `2018-06-08` */
export function formatBeijingDate(ms: number): string {
  return beijingFields(ms).date;
}

/** `20180608103456` */
export function formatBeijingCompact(ms: number): string {
  return beijingFields(ms).compact;
}

const rfc3339Pattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

export function parseRfc3339(text: string): number | null {
  if (!rfc3339Pattern.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

const beijingDateTimePattern = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/** Parses `yyyy-MM-dd HH:mm[:ss[.SSS]]` as Beijing time. */
export function parseBeijingDateTime(text: string): number | null {
  const m = beijingDateTimePattern.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms] = m;
  const utc = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s ?? "0"),
    Number((ms ?? "0").padEnd(3, "0")),
  );
  return Number.isNaN(utc) ? null : utc - beijingOffsetMs;
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Start of a Beijing calendar day `YYYY-MM-DD` as epoch ms, or null. */
export function beijingDayStartMs(date: string): number | null {
  const m = datePattern.exec(date);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - beijingOffsetMs;
  return formatBeijingDate(ms) === date ? ms : null;
}

export const dayMs = 24 * 3600_000;
