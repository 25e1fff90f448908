import type { Decimal } from "decimal.js";
import { RatingDecimal } from "./decimal.js";

/** Rating turns an exact amount into micros once per line, half up (amounts are never negative). */
export const ratingRounding = RatingDecimal.ROUND_HALF_UP;

export function roundToMicros(amount: Decimal): bigint {
  return BigInt(amount.times(1_000_000).toFixed(0, ratingRounding));
}

/** How an integer division picks its result; "up" and "down" mean away from and toward zero. */
export type RoundingMode = "half_up" | "half_even" | "up" | "down";

export function divideRounded(numerator: bigint, divisor: bigint, mode: RoundingMode): bigint {
  if (divisor <= 0n) throw new Error(`divisor must be positive, got ${divisor}`);
  const truncated = numerator / divisor;
  const remainder = numerator % divisor;
  if (remainder === 0n) return truncated;
  const awayFromZero = numerator < 0n ? truncated - 1n : truncated + 1n;
  const twiceRemainder = 2n * (remainder < 0n ? -remainder : remainder);
  switch (mode) {
    case "down":
      return truncated;
    case "up":
      return awayFromZero;
    case "half_up":
      return twiceRemainder >= divisor ? awayFromZero : truncated;
    case "half_even":
      if (twiceRemainder !== divisor) return twiceRemainder > divisor ? awayFromZero : truncated;
      return truncated % 2n === 0n ? truncated : awayFromZero;
  }
}
