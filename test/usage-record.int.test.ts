import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Customer, Runtime } from "../actors/index.js";
import { PostpaidUsage } from "../actors/postpaidUsage.js";
import { walletFactsIn } from "../actors/walletRecordFacts.js";
import { transactionFromRecord } from "../api/views.js";
import { walletEntity, walletKind } from "../machines/walletKind.js";
import { replayRecord } from "../snapshots/replay.js";
import type { CommittedRecord, RecordPart } from "../wal/record.js";
import { grantOf, openRuntime, seedCustomers } from "./support/runtimeFixture.js";
import { tempDir } from "./support/tempDir.js";

/**
 * A usage batch logs each event once, in its charge's command; the facts do not repeat it. Every
 * reader still sees the whole event: the wallet's transactions, the usage.recorded webhook, the
 * usage summary's facts and postpaid invoicing.
 */
let dir: { path: string; remove: () => Promise<void> };
let runtime: Runtime;
let merchantId: string;
let prepaid: Customer;
let postpaid: Customer;
let postpaidUsd: Customer;
let record: CommittedRecord;
let cardId: string;
const occurredAt = Date.now() - 60_000;

async function assign(customer: Customer, currency: string, mode: "prepaid" | "postpaid") {
  const card = await runtime.rateCards.create(
    "test",
    merchantId,
    {
      name: `images ${currency}`,
      currency,
      prices: [
        { metric: "images", pricing: "per_unit", unitAmount: "0.20", filters: { model: "flux" } },
        { metric: "images", pricing: "per_unit", unitAmount: "0.10" },
      ],
    } as never,
    { kind: "admin" },
  );
  const updated = await runtime.customers.update(
    customer,
    { rateCardId: card.id, billingMode: mode },
    { kind: "admin" },
    async () => {},
  );
  return { card, customer: updated };
}

const event = (customer: Customer, key: string, dimensions: Record<string, string>) => ({
  customerExternalId: customer.externalId,
  idempotencyKey: key,
  metric: "images",
  quantity: "3",
  occurredAt: new Date(occurredAt).toISOString(),
  dimensions,
});

/** The customer's postpaid usage not yet invoiced, as the next invoice would bill it. */
const unbilledOf = (customer: Customer) =>
  new PostpaidUsage(runtime.log, runtime.wallets.shares).unbilled({
    env: "test",
    merchantId,
    customerId: customer.id,
    customerExternalId: customer.externalId,
    testClockId: null,
  });

const partsOf = (logged: CommittedRecord) => (logged.command as unknown as { parts: RecordPart[] }).parts;

beforeAll(async () => {
  dir = await tempDir("usage-record-");
  runtime = await openRuntime(dir.path);
  const seeded = await seedCustomers(runtime, 3);
  merchantId = seeded.merchantId;
  const [a, b, c] = seeded.customers as [Customer, Customer, Customer];
  const assigned = await assign(a, "CNY", "prepaid");
  cardId = assigned.card.id;
  prepaid = assigned.customer;
  postpaid = (await assign(b, "CNY", "postpaid")).customer;
  postpaidUsd = (await assign(c, "USD", "postpaid")).customer;
  await runtime.wallets.execute(prepaid, grantOf(10_000_000n));
  const results = await runtime.usage.ingest("test", merchantId, [
    // Dimension keys out of order: logged sorted, read back the same.
    event(prepaid, "evt_1", { region: "cn-east", model: "flux" }),
    event(postpaid, "evt_2", {}),
    event(postpaidUsd, "evt_3", { model: "flux" }),
  ]);
  expect(results.map((r) => r.status)).toEqual(["accepted", "accepted", "rejected"]);
  expect(results[2]).toMatchObject({ code: "currency_mismatch" });
  const found = await runtime.log.getRecord(runtime.log.head.seq);
  if (!found) throw new Error("no usage record");
  record = found;
});

afterAll(async () => {
  await runtime.close();
  await dir.remove();
});

const prepaidDetail = () => ({
  eventKey: "evt_1",
  metric: "images",
  quantity: "3",
  freeQuantity: "0",
  dimensions: { model: "flux", region: "cn-east" },
  occurredAt,
  rateCardId: cardId,
  rateCardVersion: 1,
  currency: "CNY",
});

/** The customer's wallet rebuilt from its records alone, each as `asLogged` gives it. */
async function replayed(customer: Customer, asLogged: (logged: CommittedRecord) => CommittedRecord) {
  const entity = walletEntity(customer.id);
  let state = walletKind.initialState();
  for (const seq of await runtime.log.entitySeqs(entity)) {
    const logged = await runtime.log.getRecord(seq);
    if (logged) state = replayRecord(walletKind, state, asLogged(logged), customer.id, entity);
  }
  return state;
}

describe("a usage batch's record", () => {
  it("logs each event once, in its command; its fact carries the amounts only", () => {
    const parts = partsOf(record);
    expect(parts[0]?.command.detail).toEqual(prepaidDetail());
    expect(record.facts[0]).toEqual({
      type: "usage.charged",
      amountMicros: "600000",
      balanceAfterMicros: "9400000",
      availableAfterMicros: "9400000",
      transactionId: `wtx_usage_${record.seq}`,
    });
  });

  it("holds no accrual priced in another currency: no wallet or invoice could take it", async () => {
    expect(partsOf(record)).toHaveLength(2);
    expect(record.postings.every((p) => p.currency === "CNY")).toBe(true);
    expect(await runtime.log.entitySeqs(walletEntity(postpaidUsd.id))).not.toContain(record.seq);
  });

  it("reads back each fact with its event", () => {
    const [fact] = walletFactsIn(record, walletEntity(prepaid.id));
    expect(fact?.usage).toEqual(prepaidDetail());
  });

  it("gives each wallet's usage transaction in the record an id of its own", () => {
    const ids = partsOf(record).map(
      (part) => (transactionFromRecord(record, part.entity) as { id: string }).id,
    );
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(ids).toContain(`wtx_usage_${record.seq}_${prepaid.id}`);
  });

  it("shows the event behind the wallet's usage transaction", () => {
    const view = transactionFromRecord(record, walletEntity(prepaid.id)) as { charges: unknown[] };
    expect(view.charges).toEqual([
      {
        ...prepaidDetail(),
        occurredAt: new Date(occurredAt).toISOString(),
        amount: "0.60",
      },
    ]);
  });

  it("sends the event in the usage.recorded webhook", async () => {
    const events = await runtime.events.eventsOf(record);
    const recorded = events.filter((e) => e.type === "usage.recorded");
    expect(recorded).toHaveLength(2);
    const data = recorded[0]?.data as { transaction: { charges: unknown[] } };
    expect(data.transaction.charges).toEqual([
      { ...prepaidDetail(), occurredAt: new Date(occurredAt).toISOString(), amount: "0.60" },
    ]);
  });

  it("folds into the usage summary's facts and the postpaid invoice line, decoding the batch once", async () => {
    const decoded = vi.spyOn(runtime.log, "getRecord");
    const decodes = () => decoded.mock.calls.filter(([seq]) => seq === record.seq).length;
    try {
      // The first reader of any wallet in the batch decodes it, and keeps every wallet's share.
      const prepaidFacts = await runtime.wallets.usageFacts(prepaid);
      expect(prepaidFacts).toEqual(walletFactsIn(record, walletEntity(prepaid.id)));
      expect(decodes()).toBe(1);

      const facts = await runtime.wallets.usageFacts(postpaid);
      expect(facts.map((f) => f.usage?.eventKey)).toEqual(["evt_2"]);
      expect(facts).toEqual(walletFactsIn(record, walletEntity(postpaid.id)));
      const unbilled = await unbilledOf(postpaid);
      expect(unbilled.lines).toEqual([
        expect.objectContaining({ description: "Usage 用量: images (1 event)", quantity: "3" }),
      ]);
      expect(unbilled.throughSeq).toBe(record.seq);
      // The other wallets' reads found their shares kept: the batch was not decoded again.
      expect(decodes()).toBe(1);
    } finally {
      decoded.mockRestore();
    }
  });

  it("replays through the wallet machine to the same wallets, facts and postings", async () => {
    for (const customer of [prepaid, postpaid]) {
      expect(await replayed(customer, (logged) => logged)).toEqual(await runtime.wallets.state(customer));
    }
  });

  it("replays a batch logged while usage facts still repeated their event", async () => {
    // As records were written before: each usage fact carries its event as `usage`, and an accrual
    // names its currency only there.
    const older = (logged: CommittedRecord): CommittedRecord => {
      if (logged.seq !== record.seq) return logged;
      const facts = logged.facts.map((fact, i) => {
        const { currency: _currency, ...rest } = fact as { currency?: string; type: string };
        return { ...rest, usage: partsOf(logged)[i]?.command.detail };
      });
      return { ...logged, facts };
    };
    for (const customer of [prepaid, postpaid]) {
      expect(await replayed(customer, older)).toEqual(await runtime.wallets.state(customer));
    }
  });

  it("sums an invoice line's quantity exactly: 3 + 0.1 + 0.2 is 3.3", async () => {
    const more = await runtime.usage.ingest("test", merchantId, [
      { ...event(postpaid, "evt_4", {}), quantity: "0.1" },
      { ...event(postpaid, "evt_5", {}), quantity: "0.2" },
    ]);
    expect(more.map((r) => r.status)).toEqual(["accepted", "accepted"]);
    const unbilled = await unbilledOf(postpaid);
    expect(unbilled.lines).toEqual([
      expect.objectContaining({ description: "Usage 用量: images (3 events)", quantity: "3.3" }),
    ]);
  });
});
