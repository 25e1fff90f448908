/**
 * Rating: prices usage against an immutable rate card version. Pure: no I/O, no clock, no randomness.
 * Amounts come out as bigint micros, each rounding named; quantities and amounts go in as decimal strings.
 */
export type {
  BreakdownLine,
  Dimensions,
  FreeAllowance,
  GraduatedPrice,
  PackagePrice,
  PerUnitPrice,
  Price,
  PricingModel,
  RateCardVersion,
  RatedEvent,
  RatingPeriod,
  Tier,
  UsageQuantity,
  VolumePrice,
} from "./types.js";
export type { RatingErrorCode, RatingFailure, RatingResult } from "./result.js";
export { ratingLimits } from "./limits.js";
export { RatingDecimal } from "./decimal.js";
export { validateRateCardPrices, validateRateCardVersion } from "./validate.js";
export { matchesFilters, priceKey, selectPrice } from "./select.js";
export { isUsageQuantity, parseUsageQuantity } from "./quantity.js";
export { rateEvent } from "./rate.js";
export { periodTotalMicros } from "./periodTotal.js";
export { periodEnd, periodStart, ratingPeriodOf, usagePeriodAnchorMs } from "./period.js";
export { divideRounded, type RoundingMode } from "./rounding.js";
export {
  currencyMinorDigits,
  isCurrency,
  microsToMinorUnits,
  minorUnitsToMicros,
  type Currency,
} from "./currency.js";
