import { divideRounded, type RoundingMode } from "./rounding.js";

/** Decimal places of each currency's minor unit (fen for CNY, none for JPY). */
export const currencyMinorDigits = {
  CNY: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  SGD: 2,
  AUD: 2,
  NZD: 2,
  HKD: 2,
  JPY: 0,
  THB: 2,
} as const;

export type Currency = keyof typeof currencyMinorDigits;

export function isCurrency(code: unknown): code is Currency {
  return typeof code === "string" && Object.hasOwn(currencyMinorDigits, code);
}

function microsPerMinorUnit(currency: Currency): bigint {
  if (!isCurrency(currency)) throw new Error(`unsupported currency ${String(currency)}`);
  return 10n ** BigInt(6 - currencyMinorDigits[currency]);
}

/** Whole minor units (fen, cents, yen) for an amount in micros, rounded as named. */
export function microsToMinorUnits(micros: bigint, currency: Currency, mode: RoundingMode): bigint {
  return divideRounded(micros, microsPerMinorUnit(currency), mode);
}

export function minorUnitsToMicros(minorUnits: bigint, currency: Currency): bigint {
  return minorUnits * microsPerMinorUnit(currency);
}
