import {
  formatMicros,
  fenToMicros,
  isWholeFen,
  microsPerFen,
  parseDecimalToMicros,
} from "../domain/money.js";

/** Fen to a yuan string with exactly two decimals (`1n` → `"0.01"`, `-250n` → `"-2.50"`). */
export function fenToYuan(fen: bigint): string {
  return formatMicros(fenToMicros(fen), 2);
}

/** A non-negative yuan string with at most two decimals to fen; `null` when it is not one. */
export function yuanToFen(text: string): bigint | null {
  const parsed = parseDecimalToMicros(text, 2);
  if (!parsed.ok || !isWholeFen(parsed.micros)) return null;
  return parsed.micros / microsPerFen;
}

/** Like `yuanToFen` but allows a leading minus sign, as bill files print refunds. */
export function signedYuanToFen(text: string): bigint | null {
  const negative = text.startsWith("-");
  const fen = yuanToFen(negative ? text.slice(1) : text);
  if (fen === null) return null;
  return negative ? -fen : fen;
}

/** WeChat's JSON integer `amount.total`; fen beyond a safe integer are a programmer error. */
export function fenToJsonInteger(fen: bigint): number {
  if (fen > BigInt(Number.MAX_SAFE_INTEGER) || fen < 0n) throw new RangeError(`fen out of range: ${fen}`);
  return Number(fen);
}
