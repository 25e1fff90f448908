import { limits } from "./limits.js";

/** A dimension key: letters, digits, `_`, `.` and `-`, as rate card prices name them. */
const dimensionKeyPattern = /^[A-Za-z0-9_.-]+$/;

/**
 * Why dimensions (an event's, or a price's filter) are out of bounds, or undefined when they are within them: at most
 * `dimensionsPerEventMax` of them, keys of 1–`dimensionKeyLengthMax` characters of
 * `dimensionKeyPattern`, values of at most `dimensionValueLengthMax` characters.
 */
export function dimensionsProblem(
  dimensions: Readonly<Record<string, string>> | undefined,
): string | undefined {
  if (dimensions === undefined) return undefined;
  const keys = Object.keys(dimensions);
  if (keys.length > limits.dimensionsPerEventMax) {
    return `at most ${limits.dimensionsPerEventMax} dimensions, not ${keys.length}`;
  }
  for (const key of keys) {
    if (key.length === 0 || key.length > limits.dimensionKeyLengthMax || !dimensionKeyPattern.test(key)) {
      return `dimension key "${key.slice(0, 60)}" must be 1–${limits.dimensionKeyLengthMax} letters, digits, _, . or -`;
    }
    if ((dimensions[key] as string).length > limits.dimensionValueLengthMax) {
      return `dimension ${key} must be at most ${limits.dimensionValueLengthMax} characters`;
    }
  }
  return undefined;
}
