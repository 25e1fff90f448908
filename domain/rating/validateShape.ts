import type { Decimal } from "decimal.js";
import { parseDecimalText } from "./decimalText.js";
import { amountRule, parseQuantity } from "./quantity.js";
import { ratingError, type RatingResult } from "./result.js";

/** Field readers for validation: structure errors are `invalid_rate_card`, unknown fields included. */
export type Fields = Readonly<Record<string, unknown>>;

export function fieldPath(parent: string, key: string): string {
  return parent === "" ? key : `${parent}.${key}`;
}

/** A plain object whose set keys are all in `allowedKeys`: a misspelt field must not go unnoticed. */
export function readObject(
  input: unknown,
  path: string,
  allowedKeys?: readonly string[],
): RatingResult<Fields> {
  const label = path === "" ? "the rate card version" : path;
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return ratingError("invalid_rate_card", path, `${label} must be an object`);
  }
  const prototype: unknown = Object.getPrototypeOf(input);
  if (prototype !== Object.prototype && prototype !== null) {
    return ratingError("invalid_rate_card", path, `${label} must be a plain object`);
  }
  const unknownKey = Object.entries(input).find(
    ([key, value]) => value !== undefined && allowedKeys?.includes(key) === false,
  )?.[0];
  if (unknownKey !== undefined) {
    const at = fieldPath(path, unknownKey);
    return ratingError("invalid_rate_card", at, `unknown field ${at}; expected ${allowedKeys?.join(", ")}`);
  }
  return { ok: true, value: input as Fields };
}

export function readArray(input: unknown, path: string, lengthMax: number): RatingResult<readonly unknown[]> {
  if (!Array.isArray(input)) return ratingError("invalid_rate_card", path, `${path} must be an array`);
  if (input.length === 0) return ratingError("invalid_rate_card", path, `${path} must not be empty`);
  if (input.length > lengthMax) {
    return ratingError("invalid_rate_card", path, `${path} must have at most ${lengthMax} entries`);
  }
  return { ok: true, value: input };
}

export function readText(input: unknown, path: string, lengthMax: number): RatingResult<string> {
  if (typeof input !== "string" || input.length === 0 || input.length > lengthMax) {
    return ratingError("invalid_rate_card", path, `${path} must be a string of 1 to ${lengthMax} characters`);
  }
  return { ok: true, value: input };
}

export function readChoice<T extends string>(
  input: unknown,
  choices: readonly T[],
  path: string,
): RatingResult<T> {
  const choice = choices.find((candidate) => candidate === input);
  if (choice === undefined) {
    return ratingError("invalid_rate_card", path, `${path} must be one of ${choices.join(", ")}`);
  }
  return { ok: true, value: choice };
}

/** A money amount per unit, package or tier, kept as written ("0.50") once it parses within amountRule. */
export function readAmount(input: unknown, path: string): RatingResult<string> {
  return keepText(input, parseDecimalText(input, amountRule, "invalid_amount", path));
}

/** A quantity in a rate card (tier bound, package size, allowance), kept as written. */
export function readQuantity(input: unknown, path: string): RatingResult<string> {
  return keepText(input, parseQuantity(input, path));
}

function keepText(input: unknown, parsed: RatingResult<Decimal>): RatingResult<string> {
  return parsed.ok ? { ok: true, value: String(input) } : parsed;
}
