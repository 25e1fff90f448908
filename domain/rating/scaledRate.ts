import { limits } from "../limits.js";
import { ratingLimits } from "./limits.js";
import type { BreakdownLine, Price, RatedEvent, Tier, UsageQuantity } from "./types.js";

/**
 * rateEvent's arithmetic on scaled integers: quantities in 10⁻⁹ units, amounts in 10⁻¹² units, line
 * amounts in 10⁻²¹ units. Within ratingLimits every value the Decimal path computes is exact (64
 * digits), so exact integers give the same results bit for bit (test/rating-scaled.unit.test.ts),
 * without allocating Decimals — a usage batch rates hundreds of events.
 *
 * Only the accepted case: undefined for anything the Decimal path answers with an error or a throw
 * (bad text, quantity or amount over its limit, a price that validation would not have produced),
 * so those keep exactly one definition.
 */
export function rateEventScaled(
  price: Price,
  cumulativeBefore: string,
  quantity: string,
): RatedEvent | undefined {
  const scaled = scaledPriceOf(price);
  const before = parseScaled(cumulativeBefore, quantityPlaces, ratingLimits.quantityIntegerDigitsMax);
  const added = parseScaled(quantity, quantityPlaces, ratingLimits.quantityIntegerDigitsMax);
  if (scaled === undefined || before === undefined || added === undefined) return undefined;
  const after = before + added;
  if (after >= quantityCeilingScaled) return undefined;

  const linesBefore = periodLines(scaled, before);
  const linesAfter = periodLines(scaled, after);
  if (linesBefore === undefined || linesAfter === undefined) return undefined;
  let periodMicros = 0n;
  for (const line of linesAfter) periodMicros += roundToMicros(line.amount);
  if (periodMicros > limits.amountMicrosMax) return undefined;

  const breakdown: BreakdownLine[] = [];
  let chargeMicros = 0n;
  for (let index = 0; index < linesAfter.length; index++) {
    const lineAfter = linesAfter[index] as ScaledLine;
    const lineBefore = linesBefore[index];
    if (lineBefore === undefined) return undefined;
    const amountMicros = roundToMicros(lineAfter.amount) - roundToMicros(lineBefore.amount);
    const lineQuantity = lineAfter.quantity - lineBefore.quantity;
    // A volume line's amount may fall (a cheaper tier reached); no line's quantity does.
    if (lineQuantity < 0n) return undefined;
    chargeMicros += amountMicros;
    if (lineQuantity === 0n && amountMicros === 0n) continue;
    breakdown.push({
      ...(lineAfter.tier === undefined ? {} : { tier: lineAfter.tier }),
      quantity: quantityText(lineQuantity),
      amountMicros,
    });
  }
  const allowanceLeft = maxOf(0n, scaled.allowance - before);
  return {
    chargeMicros,
    freeQuantityUsed: quantityText(added < allowanceLeft ? added : allowanceLeft),
    cumulativeAfter: quantityText(after),
    breakdown,
  };
}

const quantityPlaces = ratingLimits.quantityFractionDigitsMax;
const amountPlaces = ratingLimits.amountFractionDigitsMax;
const quantityScale = 10n ** BigInt(quantityPlaces);
/** An amount (10⁻¹²) times this is a line amount (10⁻²¹), like a quantity times a unit amount. */
const amountToLine = quantityScale;
/** A line amount (10⁻²¹) over this is micros (10⁻⁶). */
const lineToMicros = 10n ** BigInt(quantityPlaces + amountPlaces - 6);
const quantityCeilingScaled = 10n ** BigInt(ratingLimits.quantityIntegerDigitsMax) * quantityScale;

interface ScaledTier {
  upTo: bigint | null;
  unitAmount: bigint;
  flatAmount: bigint;
}

type ScaledPrice = { allowance: bigint } & (
  | { pricing: "per_unit"; unitAmount: bigint }
  | { pricing: "package"; packageSize: bigint; packageAmount: bigint; roundUp: boolean }
  | { pricing: "graduated" | "volume"; tiers: ScaledTier[] }
);

interface ScaledLine {
  tier?: number;
  quantity: bigint;
  amount: bigint;
}

/** Prices are immutable: each is scaled once. Null marks one the Decimal path must rate. */
const scaledPrices = new WeakMap<Price, ScaledPrice | null>();

function scaledPriceOf(price: Price): ScaledPrice | undefined {
  let scaled = scaledPrices.get(price);
  if (scaled === undefined) {
    scaled = scalePrice(price) ?? null;
    scaledPrices.set(price, scaled);
  }
  return scaled ?? undefined;
}

function scalePrice(price: Price): ScaledPrice | undefined {
  const allowance = quantityOf(price.freeAllowance?.quantity ?? "0");
  if (allowance === undefined) return undefined;
  switch (price.pricing) {
    case "per_unit": {
      const unitAmount = amountOf(price.unitAmount);
      return unitAmount === undefined ? undefined : { allowance, pricing: "per_unit", unitAmount };
    }
    case "package": {
      const packageSize = quantityOf(price.packageSize);
      const packageAmount = amountOf(price.packageAmount);
      if (packageSize === undefined || packageSize === 0n || packageAmount === undefined) return undefined;
      return { allowance, pricing: "package", packageSize, packageAmount, roundUp: price.rounding === "up" };
    }
    case "graduated":
    case "volume": {
      const tiers = scaleTiers(price.tiers);
      return tiers === undefined ? undefined : { allowance, pricing: price.pricing, tiers };
    }
  }
}

function scaleTiers(tiers: readonly Tier[]): ScaledTier[] | undefined {
  const scaled: ScaledTier[] = [];
  for (const tier of tiers) {
    const upTo = tier.upTo === null ? null : quantityOf(tier.upTo);
    const unitAmount = amountOf(tier.unitAmount);
    const flatAmount = amountOf(tier.flatAmount ?? "0");
    if (upTo === undefined || unitAmount === undefined || flatAmount === undefined) return undefined;
    scaled.push({ upTo, unitAmount, flatAmount });
  }
  return scaled.length > 0 && scaled[scaled.length - 1]?.upTo === null ? scaled : undefined;
}

/** The price's lines at `cumulative` units of period usage, as periodTotal.ts's periodLines. */
function periodLines(price: ScaledPrice, cumulative: bigint): ScaledLine[] | undefined {
  const billable = maxOf(0n, cumulative - price.allowance);
  switch (price.pricing) {
    case "per_unit":
      return [{ quantity: billable, amount: billable * price.unitAmount }];
    case "package": {
      const whole = billable / price.packageSize;
      const started = billable % price.packageSize !== 0n;
      const count = price.roundUp && started ? whole + 1n : whole;
      return [{ quantity: billable, amount: count * price.packageAmount * amountToLine }];
    }
    case "graduated":
      return graduatedLines(price.tiers, billable);
    case "volume": {
      const tier = volumeTierIndex(price.tiers, billable);
      return [{ tier, quantity: billable, amount: volumeAmount(price.tiers, billable) }];
    }
  }
}

function graduatedLines(tiers: readonly ScaledTier[], billable: bigint): ScaledLine[] {
  const lines: ScaledLine[] = [];
  let lowerBound = 0n;
  for (let tier = 0; tier < tiers.length; tier++) {
    const { upTo, unitAmount, flatAmount } = tiers[tier] as ScaledTier;
    const upperBound = upTo === null || billable < upTo ? billable : upTo;
    const quantity = maxOf(0n, upperBound - lowerBound);
    const flat = quantity === 0n ? 0n : flatAmount * amountToLine;
    lines.push({ tier, quantity, amount: quantity * unitAmount + flat });
    if (upTo !== null) lowerBound = upTo;
  }
  return lines;
}

/** Tiers end unbounded (scaleTiers), so some tier is always reached. */
function volumeTierIndex(tiers: readonly ScaledTier[], billable: bigint): number {
  return tiers.findIndex((tier) => tier.upTo === null || billable <= tier.upTo);
}

function volumeAmount(tiers: readonly ScaledTier[], billable: bigint): bigint {
  if (billable === 0n) return 0n;
  const tier = tiers[volumeTierIndex(tiers, billable)] as ScaledTier;
  return billable * tier.unitAmount + tier.flatAmount * amountToLine;
}

/** Half up, as rounding.ts's roundToMicros; line amounts are never negative. */
function roundToMicros(lineAmount: bigint): bigint {
  return (lineAmount + lineToMicros / 2n) / lineToMicros;
}

const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);

const decimalPattern = /^(0|[1-9]\d*)(?:\.(\d+))?$/;

/** A non-negative decimal string as an integer count of 10^-places, or undefined past the rule. */
function parseScaled(text: string, places: number, integerDigitsMax: number): bigint | undefined {
  const match = decimalPattern.exec(text);
  if (match === null) return undefined;
  const [, whole = "", fraction = ""] = match;
  if (whole.length > integerDigitsMax || fraction.length > places) return undefined;
  return BigInt(whole + fraction.padEnd(places, "0"));
}

const quantityOf = (text: string) => parseScaled(text, quantityPlaces, ratingLimits.quantityIntegerDigitsMax);
const amountOf = (text: string) => parseScaled(text, amountPlaces, ratingLimits.amountIntegerDigitsMax);

/** Canonical text of a scaled quantity, as quantity.ts's toUsageQuantity writes it ("1.5", "0"). */
function quantityText(scaled: bigint): UsageQuantity {
  const whole = scaled / quantityScale;
  const fraction = scaled % quantityScale;
  if (fraction === 0n) return whole.toString() as UsageQuantity;
  const digits = fraction.toString().padStart(quantityPlaces, "0").replace(/0+$/, "");
  return `${whole.toString()}.${digits}` as UsageQuantity;
}
