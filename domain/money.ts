/**
 * Money as integers. The ledger counts micro-units (10⁻⁶ of a currency unit) as bigint;
 * anything invoiced, paid or refunded is a whole minor unit (fen for CNY).
 * Decimal strings are the only form money takes at the edges.
 */

export const microsPerUnit = 1_000_000n;

const decimalPattern = /^(0|[1-9]\d*)(?:\.(\d+))?$/;

export type ParsedAmount = { ok: true; micros: bigint } | { ok: false; reason: string };

/** Parses a non-negative decimal string ("12.50", "0.0002") to micro-units, exactly. */
export function parseDecimalToMicros(text: string, maxFractionDigits = 6): ParsedAmount {
  const match = decimalPattern.exec(text);
  if (!match) return { ok: false, reason: 'must be a non-negative decimal string such as "12.50"' };
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  if (fraction.length > maxFractionDigits) {
    return { ok: false, reason: `at most ${maxFractionDigits} decimal places` };
  }
  if (whole.length > 15) return { ok: false, reason: "too large" };
  const micros = BigInt(whole) * microsPerUnit + BigInt(fraction.padEnd(6, "0"));
  return { ok: true, micros };
}

/** Formats micro-units as a decimal string with at least `minFractionDigits` places ("12.50"). */
export function formatMicros(micros: bigint, minFractionDigits = 2): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const whole = magnitude / microsPerUnit;
  let fraction = (magnitude % microsPerUnit).toString().padStart(6, "0").replace(/0+$/, "");
  if (fraction.length < minFractionDigits) fraction = fraction.padEnd(minFractionDigits, "0");
  return `${negative ? "-" : ""}${whole}${fraction.length > 0 ? "." + fraction : ""}`;
}

/** Fen (CNY minor units) to micros and back; fen amounts are always whole. */
export const microsPerFen = 10_000n;

export function fenToMicros(fen: bigint): bigint {
  return fen * microsPerFen;
}

export function isWholeFen(micros: bigint): boolean {
  return micros % microsPerFen === 0n;
}
