import { hash } from "node:crypto";
import { canonicalJson } from "../domain/canonicalJson.js";
import { dimensionsProblem } from "../domain/dimensions.js";
import type { Environment } from "../domain/environment.js";
import { newId } from "../domain/ids.js";
import { parseOffsetTime } from "../domain/offsetTime.js";
import { limits } from "../domain/limits.js";
import { isUsageQuantity, ratingLimits, selectPrice } from "../domain/rating/index.js";
import { walletEntity } from "../machines/walletKind.js";
import type { WalletCommand, WalletContext, WalletFact } from "../machines/walletTypes.js";
import { walletCommandToLog, walletFactToLog } from "../machines/walletUsageLog.js";
import type { Log } from "../wal/log.js";
import type { IndexOp } from "../wal/record.js";
import type { Customer, CustomerDirectory } from "./customers.js";
import type { MetricDirectory } from "./metrics.js";
import { RateCardDirectory } from "./rateCards.js";
import type { PartOutcome, PartPlan, Resident } from "./registry.js";
import { usageCommandOf, type PricedEvent } from "./usageCommand.js";
import { UsageCounters } from "./usageCounters.js";
import type { WalletRegistry } from "./wallets.js";

export interface UsageEventInput {
  customerExternalId: string;
  idempotencyKey: string;
  metric: string;
  quantity: string;
  occurredAt: string;
  dimensions?: Record<string, string> | undefined;
}

/**
 * An item of a batch that is not an event the API can read (a field of the wrong type or length, an
 * unknown field): rejected alone with `invalid_event`, so the rest of its batch still applies.
 */
export interface InvalidUsageEvent {
  invalid: string;
  /** The item's key when it has a readable one, else "". */
  idempotencyKey: string;
}

export type UsageEventResult =
  | { idempotencyKey: string; status: "accepted"; chargeMicros: bigint; currency: string }
  /** A duplicate of an event applied by an earlier call says what that event was charged. */
  | { idempotencyKey: string; status: "duplicate"; chargeMicros?: bigint; currency?: string }
  | { idempotencyKey: string; status: "rejected"; code: string; message: string };

/** A permanent usage key: (environment, merchant, the merchant's idempotency key). */
const usageKey = (env: string, merchantId: string, key: string) => `u!${env}!${merchantId}!${key}`;

interface StoredUsageKey {
  fingerprint: string;
  seq: number;
  /** What the event was charged (or accrued), for the answer to a duplicate; absent in older keys. */
  amountMicros?: string;
  currency?: string;
}

/** An event whose permanent key this batch holds (UsageService.inFlight). */
interface Claim {
  index: number;
  key: string;
  /** The event's occurredAt, parsed once. */
  occurredAt: number;
}

/** An event priced and ready to be decided against its customer's wallet. */
interface Candidate extends PricedEvent {
  index: number;
  permanentKey: string;
  fingerprint: string;
  /** The customer's wallet. */
  entity: string;
}

/**
 * Usage ingest: validates a batch, drops duplicates by the merchant's permanent idempotency keys,
 * prices each event against the rate card version in effect when it occurred, and charges (prepaid)
 * or accrues (postpaid) every accepted event in one log record, with its key, before answering.
 */
export class UsageService {
  private readonly ingestListeners = new Set<(results: readonly UsageEventResult[]) => void>();
  /** Keys of events in batches not yet durable: a concurrent retry must not charge them again. */
  private readonly inFlight = new Map<string, string>();

  /** A sandbox customer's time on its test clock (billing sets it). */
  private clockNow: ((customer: Customer) => Promise<number>) | undefined;

  constructor(
    private readonly log: Log,
    private readonly registry: WalletRegistry,
    private readonly customers: CustomerDirectory,
    private readonly rateCards: RateCardDirectory,
    private readonly metrics: MetricDirectory,
  ) {}

  useClocks(clockNow: (customer: Customer) => Promise<number>): void {
    this.clockNow = clockNow;
  }

  /**
   * `respond`, when given, turns the batch's results into an idempotency entry written with the
   * batch's record. A batch that accepts nothing writes nothing and stores nothing: its retry is
   * decided afresh.
   */
  async ingest(
    env: Environment,
    merchantId: string,
    items: readonly (UsageEventInput | InvalidUsageEvent)[],
    respond?: StoreResponse,
  ): Promise<UsageEventResult[]> {
    const events = items.filter((item): item is UsageEventInput => !("invalid" in item));
    if (events.length === items.length) return this.ingestEvents(env, merchantId, events, respond);
    // Invalid items take their place in the results (and in a stored response) around the events'.
    const merged = (eventResults: readonly UsageEventResult[]): UsageEventResult[] => {
      let next = 0;
      return items.map((item) =>
        "invalid" in item
          ? {
              idempotencyKey: item.idempotencyKey,
              status: "rejected",
              code: "invalid_event",
              message: item.invalid,
            }
          : (eventResults[next++] as UsageEventResult),
      );
    };
    if (events.length === 0) return merged([]);
    const store = respond && ((results: UsageEventResult[]) => respond(merged(results)));
    return merged(await this.ingestEvents(env, merchantId, events, store));
  }

  private async ingestEvents(
    env: Environment,
    merchantId: string,
    events: readonly UsageEventInput[],
    respond?: StoreResponse,
  ): Promise<UsageEventResult[]> {
    const now = this.log.now();
    const results: Array<UsageEventResult | undefined> = new Array(events.length);
    const reject = (i: number, code: string, message: string) => {
      results[i] = { idempotencyKey: events[i]?.idempotencyKey ?? "", status: "rejected", code, message };
    };

    // 1. Shape, time window, metric; duplicates inside the batch.
    const fingerprints = new Map<string, string>();
    /** A later copy of an event in this batch → the first copy's index: it is answered as that one was. */
    const copies = new Map<number, number>();
    const firstIndex = new Map<string, number>();
    const complete = () => completeResults(results, events, copies);
    const knownMetrics = new Map<string, boolean>();
    const fresh: Array<{ index: number; occurredAt: number }> = [];
    // Events of one batch often share a time: each distinct text in a row is parsed once.
    let lastTime = { text: "", ms: Number.NaN };
    for (const [i, event] of events.entries()) {
      if (event.occurredAt !== lastTime.text) {
        lastTime = { text: event.occurredAt, ms: parseOffsetTime(event.occurredAt) };
      }
      const occurredAt = lastTime.ms;
      const fingerprint = fingerprintOf(event, occurredAt);
      const seen = fingerprints.get(event.idempotencyKey);
      if (seen !== undefined) {
        if (seen === fingerprint) copies.set(i, firstIndex.get(event.idempotencyKey) ?? i);
        else
          reject(
            i,
            "idempotency_key_reused",
            "an earlier event in this batch has this key with other content",
          );
        continue;
      }
      fingerprints.set(event.idempotencyKey, fingerprint);
      firstIndex.set(event.idempotencyKey, i);
      if (Number.isNaN(occurredAt)) {
        reject(i, "invalid_request", offsetTimeMessage);
        continue;
      }
      // A sandbox customer may live on a test clock: its events are checked against the clock (step 3).
      if (env === "live" && !withinWindow(occurredAt, now)) {
        reject(i, "occurred_at_out_of_range", outOfRangeMessage);
        continue;
      }
      if (!isUsageQuantity(event.quantity)) {
        reject(
          i,
          "invalid_quantity",
          `quantity must be a non-negative decimal string of at most ${ratingLimits.quantityIntegerDigitsMax} digits before the point and ${ratingLimits.quantityFractionDigitsMax} after it`,
        );
        continue;
      }
      const dimensions = dimensionsProblem(event.dimensions);
      if (dimensions !== undefined) {
        reject(i, "invalid_dimensions", dimensions);
        continue;
      }
      let metricKnown = knownMetrics.get(event.metric);
      if (metricKnown === undefined) {
        metricKnown = await this.metrics.exists(env, merchantId, event.metric);
        knownMetrics.set(event.metric, metricKnown);
      }
      if (!metricKnown) {
        reject(i, "metric_not_found", `no metric ${event.metric}`);
        continue;
      }
      fresh.push({ index: i, occurredAt });
    }

    // 2. Permanent keys. Claim each key before reading the index: a concurrent batch holding the key
    // keeps it until its record is durable, so whoever claims it next sees that record's entry.
    const claims: Claim[] = [];
    for (const { index: i, occurredAt } of fresh) {
      const scoped = usageKey(env, merchantId, events[i]?.idempotencyKey ?? "");
      if (this.inFlight.has(scoped)) {
        reject(
          i,
          "idempotency_key_in_use",
          "an event with this key is being applied; retry to see its outcome",
        );
        continue;
      }
      this.inFlight.set(scoped, fingerprints.get(events[i]?.idempotencyKey ?? "") ?? "");
      claims.push({ index: i, key: scoped, occurredAt });
    }
    try {
      const settled = await this.applyClaimed(
        env,
        merchantId,
        events,
        claims,
        fingerprints,
        results,
        reject,
        respond,
        complete,
      );
      for (const listener of this.ingestListeners) listener(settled);
      return settled;
    } finally {
      for (const { key } of claims) this.inFlight.delete(key);
    }
  }

  /** Observes every answered batch's results (metrics); returns the unsubscribe. */
  onIngested(listener: (results: readonly UsageEventResult[]) => void): () => void {
    this.ingestListeners.add(listener);
    return () => this.ingestListeners.delete(listener);
  }

  private async applyClaimed(
    env: Environment,
    merchantId: string,
    events: readonly UsageEventInput[],
    claims: readonly Claim[],
    fingerprints: Map<string, string>,
    results: Array<UsageEventResult | undefined>,
    reject: (i: number, code: string, message: string) => void,
    respond: StoreResponse | undefined,
    complete: () => UsageEventResult[],
  ): Promise<UsageEventResult[]> {
    const undecided: Claim[] = [];
    const stored = await this.log.db.getMany(claims.map(({ key }) => key));
    claims.forEach((claim, n) => {
      const i = claim.index;
      const event = events[i];
      if (!event) return;
      const previous = stored[n];
      const fingerprint = fingerprints.get(event.idempotencyKey) ?? "";
      if (previous !== undefined) {
        const applied = JSON.parse(previous) as StoredUsageKey;
        if (applied.fingerprint === fingerprint)
          results[i] = {
            idempotencyKey: event.idempotencyKey,
            status: "duplicate",
            ...(applied.amountMicros === undefined || applied.currency === undefined
              ? {}
              : { chargeMicros: BigInt(applied.amountMicros), currency: applied.currency }),
          };
        else reject(i, "idempotency_key_reused", "this key was applied to an event with other content");
        return;
      }
      undecided.push(claim);
    });

    // 3. Customer, rate card version at occurredAt, price: each customer and card looked up once.
    const customers = await lookUpEach(
      undecided.map(({ index }) => events[index]?.customerExternalId ?? ""),
      (externalId) => this.customers.findCached(env, merchantId, externalId),
      (externalId) => this.customers.find(env, merchantId, externalId),
    );
    const cardIds = new Set<string>();
    for (const customer of customers.values()) if (customer?.rateCardId) cardIds.add(customer.rateCardId);
    const cards = await lookUpEach(
      cardIds,
      () => undefined,
      (cardId) => this.rateCards.find(env, merchantId, cardId),
    );
    const counters = new UsageCounters();
    const candidates: Candidate[] = [];
    for (const { index: i, key: permanentKey, occurredAt } of undecided) {
      const event = events[i];
      if (!event) continue;
      const customer = customers.get(event.customerExternalId);
      if (!customer) {
        reject(i, "customer_not_found", `no customer with externalId "${event.customerExternalId}"`);
        continue;
      }
      if (env !== "live") {
        const customerNow =
          customer.testClockId && this.clockNow ? await this.clockNow(customer) : this.log.now();
        if (!withinWindow(occurredAt, customerNow)) {
          reject(i, "occurred_at_out_of_range", outOfRangeMessage);
          continue;
        }
      }
      if (!customer.rateCardId || !customer.billingMode) {
        reject(i, "rate_card_not_assigned", "assign the customer a rate card and billing mode first");
        continue;
      }
      const card = cards.get(customer.rateCardId);
      const version = card ? RateCardDirectory.versionAt(card, occurredAt) : undefined;
      if (!card || !version) {
        reject(
          i,
          "rate_card_not_in_effect",
          "no version of the customer's rate card was in effect at occurredAt",
        );
        continue;
      }
      const price = selectPrice(version, event.metric, event.dimensions ?? {});
      if (!price) {
        reject(i, "price_not_found", `the rate card has no price for ${event.metric} with these dimensions`);
        continue;
      }
      candidates.push({
        index: i,
        permanentKey,
        input: event,
        fingerprint: fingerprints.get(event.idempotencyKey) ?? "",
        occurredAt,
        customer,
        entity: walletEntity(customer.id),
        price,
        counter: counters.counterOf(price, occurredAt),
        version,
        rateCardId: card.id,
      });
    }

    if (candidates.length > 0) await this.charge(env, merchantId, candidates, results, complete, respond);
    return complete();
  }

  /** Decides every candidate against its wallet and commits the accepted ones as one record. */
  private async charge(
    env: Environment,
    merchantId: string,
    candidates: Candidate[],
    results: Array<UsageEventResult | undefined>,
    complete: () => UsageEventResult[],
    respond: StoreResponse | undefined,
  ): Promise<void> {
    const residents = new Map<string, Resident<WalletContext>>();
    try {
      const distinct = new Map(candidates.map((c) => [c.entity, c.customer.id]));
      const loading: Array<[string, string]> = [];
      for (const [entity, id] of distinct) {
        const resident = this.registry.pinIfResident(entity);
        if (resident) residents.set(entity, resident);
        else loading.push([entity, id]);
      }
      const pinned = await Promise.allSettled(loading.map(([entity, id]) => this.registry.pin(entity, id)));
      for (const outcome of pinned)
        if (outcome.status === "fulfilled") residents.set(outcome.value.entity, outcome.value);
      const failed = pinned.find((outcome) => outcome.status === "rejected");
      if (failed) throw failed.reason;

      const batchId = newId("ubt");
      const parts: Array<PartPlan<WalletCommand, WalletContext>> = candidates.map((c) => ({
        entity: c.entity,
        entityId: c.customer.id,
        build: (ctx, state) => usageCommandOf(c, ctx.at, `wtx_usage_${ctx.seq}`, state),
      }));
      const { outcomes, committed } = this.registry.executeParts(
        { env, merchantId },
        `usage:${batchId}`,
        residents,
        parts,
        (accepted, ctx, decided) => {
          recordOutcomes(candidates, decided, results);
          const ops: IndexOp[] = [];
          const keys: string[] = [];
          for (const { index } of accepted) {
            const { permanentKey, fingerprint, index: eventIndex } = candidates[index] as Candidate;
            const outcome = results[eventIndex];
            const value: StoredUsageKey = {
              fingerprint,
              seq: ctx.seq,
              ...(outcome?.status === "accepted"
                ? { amountMicros: outcome.chargeMicros.toString(), currency: outcome.currency }
                : {}),
            };
            ops.push({ type: "put", key: permanentKey, value: JSON.stringify(value) });
            keys.push(permanentKey);
          }
          const stored = respond?.(complete());
          if (stored) {
            ops.push(stored.op);
            keys.push(stored.scope);
          }
          return { ops, keys, command: { type: "usage.ingest", batchId } };
        },
        { command: walletCommandToLog, fact: walletFactToLog },
      );
      // Finishing the record recorded the outcomes; a batch that accepted nothing has no record.
      if ((await committed) === null) recordOutcomes(candidates, outcomes, results);
    } finally {
      for (const resident of residents.values()) this.registry.unpin(resident);
    }
  }
}

const offsetTimeMessage =
  "occurredAt must be an RFC 3339 time with its offset, e.g. 2026-11-27T08:00:00Z or 2026-11-27T16:00:00+08:00";
const outOfRangeMessage = "occurredAt must be within the last 35 days and not over 5 minutes ahead";

/** Events may arrive up to 35 days late, and at most 5 minutes early. */
function withinWindow(occurredAt: number, now: number): boolean {
  return occurredAt >= now - limits.usageLateArrivalMs && occurredAt <= now + limits.usageFutureToleranceMs;
}

/** Looks each distinct key up once: from memory when `cached` has it, the rest all at once. */
async function lookUpEach<T>(
  keys: Iterable<string>,
  cached: (key: string) => T | undefined,
  find: (key: string) => Promise<T>,
): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  const missing: string[] = [];
  for (const key of new Set(keys)) {
    const hit = cached(key);
    if (hit !== undefined) found.set(key, hit);
    else missing.push(key);
  }
  const loaded = await Promise.all(missing.map(find));
  missing.forEach((key, n) => found.set(key, loaded[n] as T));
  return found;
}

/** The idempotency entry of a whole ingest request, stored with its record. */
export type StoreResponse = (results: UsageEventResult[]) => { scope: string; op: IndexOp };

function recordOutcomes(
  candidates: readonly Candidate[],
  outcomes: ReadonlyArray<PartOutcome<WalletFact>>,
  results: Array<UsageEventResult | undefined>,
): void {
  outcomes.forEach((outcome, n) => {
    const c = candidates[n];
    if (!c) return;
    const key = c.input.idempotencyKey;
    results[c.index] = outcome.ok
      ? {
          idempotencyKey: key,
          status: "accepted",
          chargeMicros: BigInt(outcome.fact.amountMicros),
          currency: c.version.currency,
        }
      : { idempotencyKey: key, status: "rejected", code: outcome.code, message: messageOf(outcome.code) };
  });
}

/**
 * Every event's result: a later copy of an event in the same batch is answered as its first copy
 * was (a duplicate of what it was charged, or the same refusal), since only the first is applied.
 */
function completeResults(
  results: ReadonlyArray<UsageEventResult | undefined>,
  events: readonly UsageEventInput[],
  copies: ReadonlyMap<number, number>,
): UsageEventResult[] {
  return Array.from({ length: events.length }, (_, i) => {
    const first = copies.get(i);
    const result = results[first ?? i];
    if (result === undefined) {
      return {
        idempotencyKey: events[i]?.idempotencyKey ?? "",
        status: "rejected",
        code: "internal_error",
        message: "",
      };
    }
    if (first === undefined || result.status !== "accepted") return result;
    return {
      idempotencyKey: result.idempotencyKey,
      status: "duplicate",
      chargeMicros: result.chargeMicros,
      currency: result.currency,
    };
  });
}

/** Stored with the permanent key: the same bytes as fast-json-stable-stringify wrote before. */
function fingerprintOf(event: UsageEventInput, occurredAt: number): string {
  // Keys in sorted order, so canonicalJson writes them with JSON.stringify.
  const canonical = canonicalJson({
    customer: event.customerExternalId,
    dimensions: event.dimensions ?? {},
    metric: event.metric,
    occurredAt,
    quantity: event.quantity,
  });
  return hash("sha256", canonical, "base64url");
}

const messages: Record<string, string> = {
  insufficient_balance: "the wallet's available balance does not cover this event",
  wallet_frozen: "the customer's wallet is frozen",
  currency_mismatch: "wallets and invoices are in CNY; the rate card version is in another currency",
  quantity_too_large: "the period's usage would exceed the quantity limit",
  amount_too_large: "the period's charges would exceed the amount limit",
};

function messageOf(code: string): string {
  return messages[code] ?? code;
}
