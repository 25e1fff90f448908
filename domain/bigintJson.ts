/**
 * Money fields are named with their unit (`amountMicros`, `totalFen`) and are bigint in memory.
 * In JSON they are digit strings; these two functions convert by that naming rule, so logged
 * commands, facts and snapshots stay plain JSON.
 */
const moneyField = /(Micros|Fen)$/;

/**
 * Builds the loggable copy with every object's keys in sorted order: the ledger's canonical JSON of a
 * tree already in that order is the native JSON.stringify (domain/canonicalJson.ts), several times
 * faster than sorting while encoding.
 */
export function toLoggable(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(toLoggable);
  if (value !== null && typeof value === "object") {
    const source = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const keys = Object.keys(source);
    // Most objects are built in sorted order already; sort only when they are not.
    for (let i = 1; i < keys.length; i++) {
      if ((keys[i - 1] as string) > (keys[i] as string)) {
        keys.sort();
        break;
      }
    }
    for (const k of keys) {
      const v = source[k];
      if (v !== undefined) out[k] = toLoggable(v);
    }
    return out;
  }
  return value;
}

export function fromLoggable(value: unknown, key = ""): unknown {
  if (typeof value === "string" && moneyField.test(key) && /^-?\d+$/.test(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map((v) => fromLoggable(v));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromLoggable(v, k);
    return out;
  }
  return value;
}

/**
 * Whether `live` logs as `logged`: jsonEqual(toLoggable(live), logged) without building the copy
 * (replay compares every fact it reproduces with the recorded one).
 */
export function logsAs(live: unknown, logged: unknown): boolean {
  if (typeof live === "bigint") return typeof logged === "string" && live.toString() === logged;
  if (live === logged) return true;
  if (live === null || logged === null || typeof live !== "object" || typeof logged !== "object")
    return false;
  if (Array.isArray(live)) {
    if (!Array.isArray(logged) || live.length !== logged.length) return false;
    for (let i = 0; i < live.length; i++) if (!logsAs(live[i], logged[i])) return false;
    return true;
  }
  if (Array.isArray(logged)) return false;
  const left = live as Record<string, unknown>;
  const right = logged as Record<string, unknown>;
  let leftCount = 0;
  for (const key in left) {
    if (left[key] === undefined) continue;
    leftCount += 1;
    if (!logsAs(left[key], right[key])) return false;
  }
  let rightCount = 0;
  for (const key in right) if (right[key] !== undefined) rightCount += 1;
  return leftCount === rightCount;
}
