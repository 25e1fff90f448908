import type { CallbackHeaders } from "./types.js";

/** A header's single value, looked up case-insensitively. */
export function headerValue(headers: CallbackHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

export function bodyText(rawBody: Uint8Array | string): string {
  return typeof rawBody === "string" ? rawBody : Buffer.from(rawBody).toString("utf8");
}

export function bodyBytes(rawBody: Uint8Array | string): number {
  return typeof rawBody === "string" ? Buffer.byteLength(rawBody) : rawBody.byteLength;
}
