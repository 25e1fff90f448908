/**
 * Alipay signs the exact text of the `<method>_response` value. Re-serialising parsed JSON would not
 * reproduce it (Alipay escapes `/` as `\/`, keeps its own key order), so cut the raw substring out.
 */
export interface SignedResponse {
  key: string;
  /** The raw JSON text of the response object, from `{` to its matching `}`. */
  content: string;
  sign?: string;
}

export function extractSignedResponse(raw: string, responseKey: string): SignedResponse | null {
  let top: unknown;
  try {
    top = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!top || typeof top !== "object") return null;
  const record = top as Record<string, unknown>;
  const key = responseKey in record ? responseKey : "error_response" in record ? "error_response" : null;
  if (!key) return null;
  const content = rawValueOf(raw, key);
  if (content === null) return null;
  const sign = typeof record.sign === "string" ? record.sign : undefined;
  return { key, content, ...(sign ? { sign } : {}) };
}

/** The raw text of the top-level object value under `key`, matched brace by brace, strings respected. */
function rawValueOf(raw: string, key: string): string | null {
  const marker = `"${key}"`;
  let at = raw.indexOf(marker);
  while (at >= 0) {
    let i = at + marker.length;
    while (/\s/.test(raw[i] ?? "")) i++;
    if (raw[i] === ":") {
      i++;
      while (/\s/.test(raw[i] ?? "")) i++;
      if (raw[i] === "{") return matchObject(raw, i);
    }
    at = raw.indexOf(marker, at + 1);
  }
  return null;
}

function matchObject(raw: string, start: number): string | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return raw.slice(start, i + 1);
  }
  return null;
}
