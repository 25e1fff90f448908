import { walletTransactionTypes } from "../machines/walletTransactionTypes.js";
import type { Environment } from "../domain/environment.js";
import { limits } from "../domain/limits.js";
import type { WalletFact } from "../machines/walletTypes.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, LoggedFact, RecordPart } from "../wal/record.js";
import type { Customer, CustomerChanges } from "./customers.js";
import {
  customerData,
  disabledEndpointData,
  metricData,
  rateCardData,
  usageData,
  walletOperationData,
  type DisabledEndpointFact,
  type WalletStatus,
} from "./eventPayloads.js";
import { CommerceEvents } from "./commerceEvents.js";
import { remember } from "./entityStates.js";
import type { RecordFeed } from "./feed.js";
import type { PublishedVersion, RateCard } from "./rateCards.js";
import { RecordTail, type RecordTailOptions } from "./recordTail.js";
import { withUsage, type LedgerWalletFact } from "./walletRecordFacts.js";

/** The version of every event payload; a breaking change to a `data` shape gets a new one. */
export const eventApiVersion = "2026-11-01";

/** Every event type, past tense and dotted: what webhook endpoints subscribe to and the feed streams. */
export const eventTypes = [
  "customer.created",
  "customer.updated",
  "wallet.granted",
  "wallet.debited",
  "wallet.reserved",
  "wallet.captured",
  "wallet.released",
  "wallet.expired",
  "wallet.frozen",
  "wallet.unfrozen",
  "wallet.topped_up",
  "wallet.top_up_refunded",
  "wallet.refund_restored",
  "wallet.credit_received",
  "usage.recorded",
  "rate_card.created",
  "rate_card.version_published",
  "metric.created",
  "webhook_endpoint.disabled",
  "invoice.finalized",
  "invoice.paid",
  "invoice.voided",
  "invoice.marked_uncollectible",
  "invoice.refunded",
  "payment.succeeded",
  "payment.failed",
  "payment.refunded",
  "subscription.created",
  "subscription.updated",
  "subscription.canceled",
  "purchase.created",
  "purchase.paid",
  "purchase.refunded",
  "purchase.canceled",
  "entitlement.granted",
  "entitlement.revoked",
] as const;

export type EventType = (typeof eventTypes)[number];

/** One event: derived from one durable ledger record, so its id and content never change. */
export interface BillingEvent {
  /** `evt_<sequence>_<n>`: the n-th event of the record. */
  id: string;
  object: "event";
  type: EventType;
  apiVersion: string;
  sequence: number;
  createdAt: string;
  environment: Environment;
  data: Record<string, unknown>;
}

export interface EventScope {
  env: Environment;
  merchantId: string;
}

const walletFactTypes = new Set<string>(
  Object.keys(walletTransactionTypes).filter((type) => type.startsWith("wallet.")),
);

/** Facts of invoices, payments, subscriptions and purchases: see commerceEvents.ts. */
const commerceFactPrefixes = ["invoice.", "payment.", "subscription.", "purchase."];

/** Facts that only an active wallet accepts, or that set the status. */
const statusAfter: Partial<Record<string, WalletStatus>> = {
  "wallet.frozen": "frozen",
  "wallet.unfrozen": "active",
  "wallet.debited": "active",
  "wallet.reserved": "active",
  "wallet.captured": "active",
  "usage.charged": "active",
  "usage.accrued": "active",
};

const statusSpansMax = 8;

/** Every record of a wallet in [from, to] leaves it in `status` (`from` decided it, or is 0). */
interface StatusSpan {
  from: number;
  to: number;
  status: WalletStatus;
}

/**
 * The catalogue: turns a durable record into its events. Payloads that need more than the record
 * (a customer's current fields, a rate card's versions, a wallet's status) fold the entity's own
 * earlier records, so an event reads the same whenever it is built.
 */
export class EventCatalogue {
  private readonly memo = new Map<number, Promise<BillingEvent[]>>();
  private readonly customers = new Map<string, { seq: number; customer: Customer }>();
  private readonly walletStatuses = new Map<string, StatusSpan[]>();
  private readonly commerce: CommerceEvents;

  constructor(
    private readonly log: Log,
    private readonly feed: RecordFeed,
  ) {
    this.commerce = new CommerceEvents(
      log,
      async (customerId, seq) => (await this.customerAt(customerId, seq))?.externalId,
    );
  }

  static inScope(record: CommittedRecord, scope: EventScope): boolean {
    return record.env === scope.env && record.merchantId === scope.merchantId;
  }

  /** The events of one durable record (none for platform records and internal bookkeeping). */
  eventsOf(record: CommittedRecord): Promise<BillingEvent[]> {
    const cached = this.memo.get(record.seq);
    if (cached) return cached;
    const built = this.build(record);
    this.memo.set(record.seq, built);
    built.catch(() => this.memo.delete(record.seq));
    if (this.memo.size > limits.eventCacheRecordsMax) {
      const oldest = this.memo.keys().next().value;
      if (oldest !== undefined) this.memo.delete(oldest);
    }
    return built;
  }

  /** Records of one merchant and environment after `afterSeq`: history from the log, then live. */
  tail(scope: EventScope, afterSeq: number, options: Omit<RecordTailOptions, "afterSeq" | "accepts">) {
    return new RecordTail(this.log, this.feed, {
      ...options,
      afterSeq,
      accepts: (record) => EventCatalogue.inScope(record, scope),
    });
  }

  private async build(record: CommittedRecord): Promise<BillingEvent[]> {
    if (record.env === "platform" || record.merchantId === null) return [];
    const env = record.env;
    const events: BillingEvent[] = [];
    const emit = (type: EventType, data: Record<string, unknown>) => {
      events.push({
        id: `evt_${record.seq}_${events.length}`,
        object: "event",
        type,
        apiVersion: eventApiVersion,
        sequence: record.seq,
        createdAt: new Date(record.at).toISOString(),
        environment: env,
        data,
      });
    };
    const usage = new Map<string, LedgerWalletFact[]>();
    const parts = (record.command as { parts?: RecordPart[] }).parts ?? [];
    for (const [i, fact] of record.facts.entries()) {
      const type = fact.type;
      if (type === "customer.created" || type === "customer.updated") {
        const customerId = String(fact.customerId);
        const customer =
          (type === "customer.created" ? this.createdBy(record, customerId) : undefined) ??
          (await this.customerAt(customerId, record.seq));
        if (customer) emit(type, customerData(customer));
      } else if (walletFactTypes.has(type) && (parts[i]?.entity ?? record.entity).startsWith("wallet:")) {
        // A wallet's own record, or its part of a record that changed several entities (a top-up).
        const customerId = (parts[i]?.entity ?? record.entity).slice("wallet:".length);
        const walletFact = fact as unknown as WalletFact;
        const customer = await this.customerAt(customerId, record.seq);
        if (!customer) continue;
        const status = await this.walletStatusAt(customerId, record.seq, walletFact.type);
        emit(
          type as EventType,
          walletOperationData(customer.externalId, walletFact, status, record.seq, record.at),
        );
      } else if (type === "usage.charged" || type === "usage.accrued") {
        const entity = parts[i]?.entity ?? record.entity;
        const charge = withUsage(fact as unknown as WalletFact, parts[i]?.command);
        usage.set(entity, [...(usage.get(entity) ?? []), charge]);
      } else if (type === "rate_card.created" || type === "rate_card.version_published") {
        emit(type, rateCardData(await this.rateCardOf(record, fact)));
      } else if (type === "metric.created") {
        const { key, name, unit } = fact as LoggedFact & { key: string; name: string; unit: string };
        emit(type, metricData({ key, name, unit, builtIn: false }));
      } else if (type === "webhook_endpoint.disabled") {
        emit(type, disabledEndpointData(fact as unknown as DisabledEndpointFact, env));
      } else if (commerceFactPrefixes.some((prefix) => type.startsWith(prefix))) {
        for (const event of await this.commerce.of(record, fact, parts[i]?.entity ?? record.entity)) {
          emit(event.type, event.data);
        }
      }
    }
    for (const [entity, facts] of usage) {
      const customer = await this.customerAt(entity.slice("wallet:".length), record.seq);
      if (customer) emit("usage.recorded", usageData(customer, facts, record.seq, record.at));
    }
    return events;
  }

  /**
   * The customer as of record `seq`: its created fact and every update up to it. None means the
   * ledger has no such customer; the event is left out (logged) rather than stall every reader.
   */
  private async customerAt(customerId: string, seq: number): Promise<Customer | undefined> {
    const cached = this.customers.get(customerId);
    const base = cached && cached.seq <= seq ? cached : undefined;
    let customer = base?.customer;
    for (const record of await this.entityRecords(`customer:${customerId}`, base?.seq ?? 0, seq)) {
      const fact = record.facts[0] as LoggedFact & Record<string, unknown>;
      if (fact.type === "customer.created") {
        customer = {
          id: customerId,
          externalId: String(fact.externalId),
          name: (fact.name as string | null) ?? null,
          email: (fact.email as string | null) ?? null,
          testClockId: (fact.testClockId as string | null | undefined) ?? null,
          env: record.env as Environment,
          merchantId: record.merchantId ?? "",
          createdAt: record.at,
        };
      } else if (fact.type === "customer.updated" && customer) {
        customer = { ...customer, ...(fact.changes as CustomerChanges) };
      }
    }
    if (!customer) {
      console.error(`record ${seq}: customer ${customerId} has no customer.created record; no event`);
      return undefined;
    }
    remember(this.customers, customerId, { seq, customer });
    return customer;
  }

  /**
   * The customer as `record` created it, when that record is the customer's own and only
   * creates it: the customer's first record, so no other record of it comes before (no log scan).
   */
  private createdBy(record: CommittedRecord, customerId: string): Customer | undefined {
    if (record.entity !== `customer:${customerId}` || record.facts.length !== 1) return undefined;
    const fact = record.facts[0] as LoggedFact & Record<string, unknown>;
    if (fact.type !== "customer.created" || String(fact.customerId) !== customerId) return undefined;
    const customer: Customer = {
      id: customerId,
      externalId: String(fact.externalId),
      name: (fact.name as string | null) ?? null,
      email: (fact.email as string | null) ?? null,
      testClockId: (fact.testClockId as string | null | undefined) ?? null,
      env: record.env as Environment,
      merchantId: record.merchantId ?? "",
      createdAt: record.at,
    };
    remember(this.customers, customerId, { seq: record.seq, customer });
    return customer;
  }

  /**
   * The rate card with only the version this record published: a card's versions are many and
   * immutable, and a payload holding all of them would grow without bound.
   */
  private async rateCardOf(record: CommittedRecord, fact: LoggedFact): Promise<RateCard> {
    const { rateCardId, name, version } = fact as LoggedFact & {
      rateCardId: string;
      name: string;
      version: PublishedVersion;
    };
    const [firstSeq] = await this.log.entitySeqs(`ratecard:${rateCardId}`, { limit: 1 });
    const created = firstSeq === undefined ? undefined : await this.log.getRecord(firstSeq);
    return {
      id: rateCardId,
      env: record.env as Environment,
      merchantId: record.merchantId ?? "",
      name,
      createdAt: created?.at ?? record.at,
      versions: [version],
    };
  }

  /**
   * The wallet's status after record `seq`: the fact decides it when it can (only an active wallet
   * is debited); otherwise the latest earlier record that decides it does. What a walk back learns
   * is kept as spans of records sharing one status, so later lookups, in any order, walk little.
   */
  private async walletStatusAt(customerId: string, seq: number, factType: string): Promise<WalletStatus> {
    const spans = this.walletStatuses.get(customerId) ?? [];
    const decided = statusAfter[factType];
    const known = spans.find((span) => span.from <= seq && seq <= span.to);
    if (known && !decided) return known.status;
    let span: StatusSpan;
    if (decided) span = { from: seq, to: seq, status: decided };
    else {
      const below = spans.filter((s) => s.to < seq).sort((a, b) => b.to - a.to)[0];
      const found = await this.decidingRecord(customerId, seq, below?.to ?? 0);
      span = found ?? (below ? { ...below, to: seq } : { from: 0, to: seq, status: "active" });
      span.to = seq;
    }
    // Spans never overlap unless they start at the same record: the new one supersedes those.
    const kept = spans.filter((s) => s.from !== span.from);
    remember(this.walletStatuses, customerId, [span, ...kept].slice(0, statusSpansMax));
    return span.status;
  }

  /** The latest record of the wallet in (floor, seq) that decides its status, if any. */
  private async decidingRecord(
    customerId: string,
    seq: number,
    floor: number,
  ): Promise<StatusSpan | undefined> {
    const entity = `wallet:${customerId}`;
    let beforeSeq = seq;
    for (;;) {
      const page = 100;
      const seqs = await this.log.entitySeqs(entity, {
        afterSeq: floor,
        beforeSeq,
        reverse: true,
        limit: page,
      });
      for (const earlier of seqs) {
        const record = await this.log.getRecord(earlier);
        const type = record?.entity === entity ? (record.facts[0]?.type ?? "") : "usage.charged";
        const status = record ? statusAfter[type] : undefined;
        if (status) return { from: earlier, to: earlier, status };
      }
      const last = seqs[seqs.length - 1];
      if (last === undefined || seqs.length < page) return undefined;
      beforeSeq = last;
    }
  }

  /** An entity's records in (afterSeq, throughSeq], oldest first. */
  private async entityRecords(
    entity: string,
    afterSeq: number,
    throughSeq: number,
  ): Promise<CommittedRecord[]> {
    const seqs = await this.log.entitySeqs(entity, { afterSeq, beforeSeq: throughSeq + 1 });
    const records = await Promise.all(seqs.map((s) => this.log.getRecord(s)));
    return records.filter((r): r is CommittedRecord => r !== undefined);
  }
}
