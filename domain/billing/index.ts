/**
 * Billing calendar and proration: monthly periods from a subscription's anchor in Beijing time, and
 * the fen a mid-period change credits or charges. Pure: no I/O, no clock.
 */
export {
  beijingDate,
  beijingOffsetMs,
  instantMsMax,
  monthlyPeriodEnd,
  monthlyPeriodStart,
  periodIndexAt,
  periodIndexMax,
} from "./calendar.js";
export {
  planChangeProration,
  prorateFen,
  prorationAmountFenMax,
  prorationRounding,
  unusedFraction,
  type PlanChange,
  type PlanChangeProration,
} from "./proration.js";
