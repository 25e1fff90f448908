import { Decimal } from "decimal.js";

/**
 * The Decimal every rating computation uses. Quantities and amounts within ratingLimits have at most
 * 24 significant digits, so a product, a sum of tiers or a package count fits 64 digits exactly:
 * nothing is rounded until a named rounding turns an amount into micros.
 */
export const RatingDecimal = Decimal.clone({
  precision: 64,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -64,
  toExpPos: 64,
});

export const zero = new RatingDecimal(0);
