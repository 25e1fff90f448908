import type { Decimal } from "decimal.js";
import { RatingDecimal, zero } from "./decimal.js";
import type { Price } from "./types.js";

function allowanceOf(price: Price): Decimal {
  return new RatingDecimal(price.freeAllowance?.quantity ?? 0);
}

/** The period's usage past its free allowance; tiers and packages count these units only. */
export function billableQuantity(price: Price, cumulative: Decimal): Decimal {
  return RatingDecimal.max(zero, cumulative.minus(allowanceOf(price)));
}

/** How much of an event's `quantity` the allowance still covers after `cumulativeBefore`. */
export function freeQuantityUsed(price: Price, cumulativeBefore: Decimal, quantity: Decimal): Decimal {
  const left = RatingDecimal.max(zero, allowanceOf(price).minus(cumulativeBefore));
  return RatingDecimal.min(quantity, left);
}
