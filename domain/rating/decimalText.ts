import type { Decimal } from "decimal.js";
import { RatingDecimal } from "./decimal.js";
import { ratingError, type RatingErrorCode, type RatingFailure, type RatingResult } from "./result.js";

const decimalPattern = /^(0|[1-9]\d*)(?:\.(\d+))?$/;

export type DecimalRule = { readonly integerDigitsMax: number; readonly fractionDigitsMax: number };

/** Parses a non-negative decimal string ("12.50") within `rule`; anything else fails with `code`. */
export function parseDecimalText(
  input: unknown,
  rule: DecimalRule,
  code: RatingErrorCode,
  path: string,
): RatingResult<Decimal> {
  const failure = decimalTextFailure(input, rule, code, path);
  return failure ?? { ok: true, value: new RatingDecimal(input as string) };
}

/** Why `input` is not a non-negative decimal string within `rule`; undefined when it is. */
export function decimalTextFailure(
  input: unknown,
  rule: DecimalRule,
  code: RatingErrorCode,
  path: string,
): RatingFailure | undefined {
  const match = typeof input === "string" ? decimalPattern.exec(input) : null;
  if (match === null) {
    return ratingError(code, path, `${path} must be a non-negative decimal string such as "12.5"`);
  }
  const [, whole = "", fraction = ""] = match;
  if (whole.length > rule.integerDigitsMax) {
    return ratingError(
      code,
      path,
      `${path} must have at most ${rule.integerDigitsMax} digits before the point`,
    );
  }
  if (fraction.length > rule.fractionDigitsMax) {
    return ratingError(code, path, `${path} must have at most ${rule.fractionDigitsMax} decimal places`);
  }
  return undefined;
}
