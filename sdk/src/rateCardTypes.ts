import type { DecimalString, Environment, IsoTimestamp } from "./types.js";

/** ISO 4217; known codes autocomplete. A prepaid customer's rate card must be in CNY, the wallet's currency. */
export type Currency =
  "CNY" | "USD" | "EUR" | "GBP" | "SGD" | "AUD" | "NZD" | "HKD" | "JPY" | "THB" | (string & {});

/** The span usage accumulates over before tiers, packages and free allowances start again. */
export type RatingPeriod = "month" | "day";

/** The first `quantity` units of each period are free. */
export interface FreeAllowance {
  quantity: DecimalString;
  period: RatingPeriod;
}

/** What every price has, whatever its pricing model. */
export interface PriceBase {
  metric: string;
  /** The price applies only to events whose dimensions contain all of these. */
  dimensions?: Record<string, string> | undefined;
  freeAllowance?: FreeAllowance | undefined;
}

export interface PerUnitPrice extends PriceBase {
  pricing: "per_unit";
  unitAmount: DecimalString;
}

/** `packageAmount` per whole package of the period's usage; a started package counts when rounding "up". */
export interface PackagePrice extends PriceBase {
  pricing: "package";
  packageSize: DecimalString;
  packageAmount: DecimalString;
  /** Default "up". */
  rounding?: "up" | "down" | undefined;
}

/** Covers usage above the previous tier's `upTo` up to and including its own; null is unbounded. */
export interface PriceTier {
  upTo: DecimalString | null;
  unitAmount: DecimalString;
  /** Charged once when usage enters the tier. */
  flatAmount?: DecimalString | undefined;
}

/** Each unit at the rate of the tier it falls in. */
export interface GraduatedPrice extends PriceBase {
  pricing: "graduated";
  tiers: readonly PriceTier[];
}

/** All of the period's units at the rate of the tier its usage reaches. */
export interface VolumePrice extends PriceBase {
  pricing: "volume";
  tiers: readonly PriceTier[];
}

export type Price = PerUnitPrice | PackagePrice | GraduatedPrice | VolumePrice;

/** Prepaid only: refuse an event the wallet cannot cover (default), or let the balance go down to -limit. */
export type InsufficientBalancePolicy = { mode: "reject" } | { mode: "allow_negative"; limit: DecimalString };

/** One immutable version; an event is priced by the version in effect when it occurred. */
export interface RateCardVersion {
  version: number;
  currency: Currency;
  effectiveFrom: IsoTimestamp;
  publishedAt: IsoTimestamp;
  prices: Price[];
  insufficientBalance: InsufficientBalancePolicy;
}

export interface RateCard {
  id: string;
  object: "rate_card";
  name: string;
  environment: Environment;
  createdAt: IsoTimestamp;
  latestVersion: number;
  /** Oldest first. */
  versions: RateCardVersion[];
}
