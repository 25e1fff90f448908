import { limits } from "../domain/limits.js";
import type { Log } from "../wal/log.js";
import type { EventCatalogue } from "./events.js";
import { newDelivery } from "./webhookFanOut.js";
import type { WebhookDelivery } from "./webhookDeliveries.js";
import { subscribes, type WebhookEndpoint } from "./webhookEndpoints.js";

export interface ReplayFilter {
  eventTypes?: readonly string[] | undefined;
  fromSequence?: number | undefined;
  toSequence?: number | undefined;
  /** Ledger time (ms), inclusive. */
  from?: number | undefined;
  /** Ledger time (ms), exclusive. */
  to?: number | undefined;
}

export interface ReplayPlan {
  deliveries: WebhookDelivery[];
  fromSequence: number;
  /** Every matching event up to here is in `deliveries`; continue after it when `hasMore`. */
  throughSequence: number;
  hasMore: boolean;
}

/** The first record at or after ledger time `atMs` (ledger time never decreases), or head + 1. */
async function seqAtOrAfter(log: Log, atMs: number): Promise<number> {
  let low = 1;
  let high = log.durableHead + 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const record = await log.getRecord(mid);
    if (record && record.at >= atMs) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * New deliveries re-sending the endpoint's events in a range: bounded by a count of events and of
 * records read, never splitting a record, so `throughSequence` is where a next call continues.
 */
export async function planReplay(
  log: Log,
  events: EventCatalogue,
  endpoint: WebhookEndpoint,
  filter: ReplayFilter,
): Promise<ReplayPlan> {
  let fromSequence = Math.max(1, filter.fromSequence ?? 1);
  if (filter.from !== undefined) fromSequence = Math.max(fromSequence, await seqAtOrAfter(log, filter.from));
  let toSequence = Math.min(log.durableHead, filter.toSequence ?? log.durableHead);
  if (filter.to !== undefined) toSequence = Math.min(toSequence, (await seqAtOrAfter(log, filter.to)) - 1);
  const plan: ReplayPlan = {
    deliveries: [],
    fromSequence,
    throughSequence: fromSequence - 1,
    hasMore: false,
  };
  if (toSequence < fromSequence) return plan;
  const lastScanned = Math.min(toSequence, fromSequence + limits.webhookReplayScanRecordsMax - 1);
  const now = Date.now();
  for await (const record of log.scan(fromSequence, lastScanned)) {
    if (record.env === endpoint.env && record.merchantId === endpoint.merchantId) {
      const matching = (await events.eventsOf(record)).filter(
        (e) => subscribes(endpoint, e.type) && (!filter.eventTypes || filter.eventTypes.includes(e.type)),
      );
      if (plan.deliveries.length + matching.length > limits.webhookReplayEventsMax) {
        plan.hasMore = true;
        return plan;
      }
      for (const event of matching) plan.deliveries.push(newDelivery(endpoint, event, now, true));
    }
    plan.throughSequence = record.seq;
  }
  plan.hasMore = lastScanned < toSequence;
  return plan;
}
