import type { IsoTimestamp } from "./types.js";

/** A moment as callers hold it: a Date, or an RFC 3339 string with its offset ("…Z", "…+08:00"). */
export type Timestamp = IsoTimestamp | Date;

/** A Date becomes its ISO 8601 form; a string is sent as given, for the server to judge. */
export function isoTimestamp(value: Timestamp): IsoTimestamp {
  if (!(value instanceof Date)) return value;
  if (Number.isNaN(value.getTime())) throw new TypeError("Invalid Date: it has no ISO 8601 form to send.");
  return value.toISOString();
}

export function isoTimestampOrUndefined(value: Timestamp | undefined): IsoTimestamp | undefined {
  return value === undefined ? undefined : isoTimestamp(value);
}
