import type { Decimal } from "decimal.js";
import type { Currency } from "./currency.js";

declare const usageQuantityBrand: unique symbol;

/**
 * A non-negative decimal string of usage in canonical form ("1.5", "100"), at most
 * ratingLimits.quantityFractionDigitsMax places. Only parseUsageQuantity and rating results make one.
 */
export type UsageQuantity = string & { readonly [usageQuantityBrand]: true };

/** Event dimensions, and a price's filters over them: `{ model: "deepseek-r1" }`. */
export type Dimensions = Readonly<Record<string, string>>;

/** The span a price's usage accumulates over before tiers, packages and allowance start again. */
export type RatingPeriod = "month" | "day";

/** The first `quantity` units of each period are free. */
export type FreeAllowance = { readonly quantity: string; readonly period: RatingPeriod };

type PriceBase = {
  readonly metric: string;
  /** The price applies only to events whose dimensions contain all of these. */
  readonly filters?: Dimensions;
  readonly freeAllowance?: FreeAllowance;
};

export type PerUnitPrice = PriceBase & { readonly pricing: "per_unit"; readonly unitAmount: string };

/** Charges `packageAmount` per whole package of the period's usage, a started package counting if "up". */
export type PackagePrice = PriceBase & {
  readonly pricing: "package";
  readonly packageSize: string;
  readonly packageAmount: string;
  readonly rounding: "up" | "down";
};

/** A tier covers usage above the previous tier's `upTo` up to and including its own; null is unbounded. */
export type Tier = {
  readonly upTo: string | null;
  readonly unitAmount: string;
  readonly flatAmount?: string;
};

/** Each unit at the rate of the tier it falls in; a tier's flat amount once the tier is entered. */
export type GraduatedPrice = PriceBase & { readonly pricing: "graduated"; readonly tiers: readonly Tier[] };

/** All units at the rate of the tier the period's usage reaches, plus that tier's flat amount. */
export type VolumePrice = PriceBase & { readonly pricing: "volume"; readonly tiers: readonly Tier[] };

export type Price = PerUnitPrice | PackagePrice | GraduatedPrice | VolumePrice;

export type PricingModel = Price["pricing"];

/** One immutable version of a rate card; amounts are in `currency`. */
export type RateCardVersion = {
  readonly currency: Currency;
  readonly effectiveFrom: number;
  readonly prices: readonly Price[];
};

/** Part of an event's charge: the units it added to one tier (or to the whole price) and what they cost. */
export type BreakdownLine = {
  /** Index into `price.tiers`, for graduated and volume prices. */
  readonly tier?: number;
  readonly quantity: UsageQuantity;
  readonly amountMicros: bigint;
};

export type RatedEvent = {
  /**
   * What the wallet is debited, the sum of `breakdown`. Negative only under volume pricing, when the
   * event takes usage into a cheaper tier and the period's total falls: a credit.
   */
  readonly chargeMicros: bigint;
  readonly freeQuantityUsed: UsageQuantity;
  readonly cumulativeAfter: UsageQuantity;
  /** Billable units only; free units show in `freeQuantityUsed`. */
  readonly breakdown: readonly BreakdownLine[];
};

/** A price model's cumulative amount for the period, as lines (one per tier for graduated). Internal. */
export type PeriodLine = { readonly tier?: number; readonly quantity: Decimal; readonly amount: Decimal };
