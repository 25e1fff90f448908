import BuffMoneyClient, { BuffMoneyAdminClient, type Invoice } from "@buffmoney/sdk";
import { Level } from "level";
import { afterEach, vi, describe, expect, it } from "vitest";
import { monthlyPeriodEnd } from "../domain/billing/index.js";
import { formatInvoiceNumber } from "../machines/invoiceNumbers.js";
import { AuditLedger, compareSnapshots } from "../snapshots/audit/index.js";
import { expectAuditClean } from "./support/auditClean.js";
import { startChildServer } from "./support/childServer.js";
import { restartableServers } from "./support/restartableServers.js";
import type { startTestServer } from "./support/server.js";

/**
 * Renewals, finalizations, grace, dunning and first-invoice expiry are durable timers: index entries
 * written with the record that sets them and deleted by the record that settles them. Stopping the
 * server between a renewal's draft and its finalization, with timers due while it is down, or
 * SIGKILLing it in the middle of a test-clock advance, misses none and fires none twice.
 */
type TestServer = Awaited<ReturnType<typeof startTestServer>>;

const day = 24 * 3600 * 1000;
const { start, stop, tempDir } = restartableServers({ collect: true });

const clientOf = (server: { url: string }, apiKey: string) =>
  new BuffMoneyClient({ apiKey, baseUrl: server.url, maxRetries: 0 });

async function standardPrice(client: BuffMoneyClient) {
  const product = await client.products.create({ name: "AI Studio" });
  return client.prices.create({
    productId: product.id,
    type: "recurring",
    interval: "month",
    unitAmount: "149.00",
    nickname: "Standard",
  });
}

async function pay(client: BuffMoneyClient, invoiceId: string) {
  await client.invoices.pay(invoiceId, { channel: "wechat_native" });
  expect((await client.sandbox.simulatePayment(invoiceId, { outcome: "succeeded" })).status).toBe("paid");
}

async function allInvoices(client: BuffMoneyClient): Promise<Invoice[]> {
  const out: Invoice[] = [];
  for await (const invoice of client.invoices.listAll()) out.push(invoice);
  return out.reverse();
}

/** The merchant's invoice numbers are exactly 1…n, each once. */
function expectGapless(invoices: readonly Invoice[]) {
  const numbers = invoices.map((invoice) => invoice.number).sort();
  expect(numbers).toEqual(invoices.map((_, i) => formatInvoiceNumber("test", i + 1)));
}

/** How many facts of a type the log holds for a subscription or an invoice. */
async function factCount(
  server: TestServer,
  type: string,
  field: "subscriptionId" | "invoiceId",
  id: string,
) {
  let count = 0;
  for await (const record of server.runtime.log.scan(1)) {
    for (const fact of record.facts as Array<Record<string, unknown>>) {
      if (fact.type === type && fact[field] === id) count += 1;
    }
  }
  return count;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Makes the next finalization fail as a crash would, after its renewal's draft is committed. */
function crashBeforeFinalizing(server: TestServer) {
  server.runtime.billing.finalizeParts = () => {
    throw new Error("simulated crash between the draft and its finalization");
  };
}

describe("billing timers across a restart (test clock)", () => {
  it("finalizes a renewal drafted before a stop, renews each period once, and a repeated advance is harmless", async () => {
    const dir = await tempDir("buffmoney-billing-restart-");
    let server = await start(dir.path);
    const apiKey = (await server.admin.merchants.create({ name: "Restarts" })).apiKeys.test;
    let client = clientOf(server, apiKey);
    const standard = await standardPrice(client);
    const anchor = Date.parse("2027-03-10T09:00:00+08:00");
    const periodEnd = (index: number) => monthlyPeriodEnd(anchor, index);
    const clock = await client.testClocks.create({ frozenTime: new Date(anchor) });
    const ids: string[] = [];
    for (const externalId of ["a", "b"]) {
      await client.customers.create({ externalId, testClockId: clock.id });
      const sub = await client.subscriptions.create({ customerExternalId: externalId, priceId: standard.id });
      await pay(client, sub.latestInvoiceId!);
      ids.push(sub.id);
    }

    // The first renewal is drafted, then the process "crashes" before finalizing it: the advance fails.
    crashBeforeFinalizing(server);
    await expect(
      client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd(0) + 1_000) }),
    ).rejects.toThrow();
    const subs = await Promise.all(ids.map((id) => client.subscriptions.retrieve(id)));
    // One subscription renewed (its invoice a draft), the other's timer not reached.
    expect(subs.map((sub) => Date.parse(sub.currentPeriodStart)).sort()).toEqual([anchor, periodEnd(0)]);
    const draftId = subs.find((sub) => Date.parse(sub.currentPeriodStart) === periodEnd(0))!.latestInvoiceId!;
    expect((await server.runtime.billing.invoice(draftId)).value).toBe("draft");
    // The advance record is written last: the clock has not moved.
    expect(Date.parse((await client.testClocks.retrieve(clock.id)).frozenTime)).toBe(anchor);
    await stop(server);

    // Restarted: the same advance finalizes the draft and renews the other subscription, once each.
    server = await start(dir.path);
    client = clientOf(server, apiKey);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd(0) + 1_000) });
    const finalized = await client.invoices.retrieve(draftId);
    expect(finalized).toMatchObject({ status: "open", total: "149.00", number: "TEST-INV-000003" });
    expect(Date.parse(finalized.periodStart!)).toBe(periodEnd(0));
    let invoices = await allInvoices(client);
    expect(invoices).toHaveLength(4);
    expectGapless(invoices);
    for (const id of ids) {
      expect(await factCount(server, "subscription.renewed", "subscriptionId", id)).toBe(1);
      const latest = (await client.subscriptions.retrieve(id)).latestInvoiceId!;
      expect(await factCount(server, "invoice.finalized", "invoiceId", latest)).toBe(1);
      await pay(client, latest);
    }

    // Advancing again inside the same period fires nothing.
    await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd(0) + 2 * day) });
    expect(await allInvoices(client)).toHaveLength(4);

    // Three more months, restarting before each: exactly one invoice per subscription and period.
    for (let index = 1; index <= 3; index++) {
      await stop(server);
      server = await start(dir.path);
      client = clientOf(server, apiKey);
      await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd(index) + 1_000) });
      for (const id of ids) {
        const sub = await client.subscriptions.retrieve(id);
        expect(sub).toMatchObject({ status: "active" });
        expect(Date.parse(sub.currentPeriodStart)).toBe(periodEnd(index));
        await pay(client, sub.latestInvoiceId!);
      }
    }
    invoices = await allInvoices(client);
    expect(invoices).toHaveLength(10);
    expectGapless(invoices);
    expect(invoices.every((invoice) => invoice.status === "paid")).toBe(true);
    for (const id of ids) {
      const periods = invoices
        .filter((invoice) => invoice.subscriptionId === id)
        .map((invoice) => Date.parse(invoice.periodStart!));
      expect(periods).toEqual([anchor, periodEnd(0), periodEnd(1), periodEnd(2), periodEnd(3)]);
      expect(await factCount(server, "subscription.renewed", "subscriptionId", id)).toBe(4);
    }
  });
});

describe("billing timers across a restart (real time)", () => {
  const realNow = Date.now.bind(Date);
  afterEach(() => {
    Date.now = realNow;
  });

  it("fires renewal, finalization, grace, dunning and first-invoice expiry due while down, each once, in due order", async () => {
    // Ledger time is Date.now(): moved forward here as a month passing, with the server stopped.
    let offsetMs = 0;
    Date.now = () => realNow() + offsetMs;
    const billing = { graceMs: 2_000, dunningMs: 4_000, firstInvoiceExpiryMs: 1_000 };
    const dir = await tempDir("buffmoney-billing-realtime-");
    let server = await start(dir.path, { billing, startTimers: false });
    const apiKey = (await server.admin.merchants.create({ name: "Real time" })).apiKeys.test;
    let client = clientOf(server, apiKey);
    const standard = await standardPrice(client);
    await client.customers.create({ externalId: "r1" });
    await client.customers.create({ externalId: "r2" });
    const r1 = await client.subscriptions.create({ customerExternalId: "r1", priceId: standard.id });
    await pay(client, r1.latestInvoiceId!);
    const r2 = await client.subscriptions.create({ customerExternalId: "r2", priceId: standard.id });
    const periodEnd = Date.parse(r1.currentPeriodEnd);
    expect(periodEnd).toBe(monthlyPeriodEnd(Date.parse(r1.currentPeriodStart), 0));

    // A month later the sweep renews r1 (drafted, then the "crash") and expires r2's unpaid start.
    offsetMs = periodEnd + 1_000 - realNow();
    crashBeforeFinalizing(server);
    // The failure is logged and the timer kept for a later sweep: the sweeper itself goes on.
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await server.runtime.timers.sweep();
    expect(logged.mock.calls.some((call) => String(call[1]).includes("simulated crash"))).toBe(true);
    logged.mockRestore();
    await server.runtime.log.flush();
    const renewedId = (await client.subscriptions.retrieve(r1.id)).latestInvoiceId!;
    expect(renewedId).not.toBe(r1.latestInvoiceId);
    expect((await server.runtime.billing.invoice(renewedId)).value).toBe("draft");
    await until(
      () => client.subscriptions.retrieve(r2.id),
      (sub) => sub.status === "canceled",
    );
    await stop(server);

    // Restarted with the sweeper: the draft is finalized once, with the next number.
    server = await start(dir.path, { billing });
    client = clientOf(server, apiKey);
    const opened = await until(
      () => client.invoices.retrieve(renewedId),
      (invoice) => invoice.status === "open",
    );
    expect(opened).toMatchObject({ number: "TEST-INV-000003", total: "149.00" });
    expect(await client.subscriptions.retrieve(r2.id)).toMatchObject({
      status: "canceled",
      cancelReason: "incomplete_expired",
    });
    expect((await client.invoices.retrieve(r2.latestInvoiceId!)).status).toBe("void");
    await stop(server);

    // Down past the grace period and the next period end: restarted, the timers fire in the order
    // they fell due: r1 goes past due, then renews once (still past due) with the next number.
    const anchor = Date.parse(r1.currentPeriodStart);
    offsetMs = monthlyPeriodEnd(anchor, 1) + 1_000 - realNow();
    server = await start(dir.path, { billing });
    client = clientOf(server, apiKey);
    const pastDue = await until(
      () => client.subscriptions.retrieve(r1.id),
      (sub) => sub.latestInvoiceId !== renewedId,
    );
    expect(pastDue).toMatchObject({ status: "past_due" });
    expect(Date.parse(pastDue.currentPeriodStart)).toBe(monthlyPeriodEnd(anchor, 1));
    const nextId = pastDue.latestInvoiceId!;
    expect(
      await until(
        () => client.invoices.retrieve(nextId),
        (i) => i.status === "open",
      ),
    ).toMatchObject({
      number: "TEST-INV-000004",
    });
    await stop(server);

    // Down past dunning: restarted, r1 is canceled as unpaid, the lapsed invoice written off and the
    // later one voided, once.
    offsetMs += billing.dunningMs + 1_000;
    server = await start(dir.path, { billing });
    client = clientOf(server, apiKey);
    await until(
      () => client.subscriptions.retrieve(r1.id),
      (sub) => sub.status === "canceled",
    );
    expect(await client.subscriptions.retrieve(r1.id)).toMatchObject({ cancelReason: "unpaid" });
    expect((await client.invoices.retrieve(renewedId)).status).toBe("uncollectible");
    await until(
      () => client.invoices.retrieve(nextId),
      (invoice) => invoice.status === "void",
    );

    // Past the next period end nothing renews a canceled subscription; sweeping again changes nothing.
    offsetMs += 31 * day;
    await server.runtime.timers.sweep();
    const head = server.runtime.log.head.seq;
    await server.runtime.timers.sweep();
    await server.runtime.timers.sweep();
    expect(server.runtime.log.head.seq).toBe(head);
    const invoices = await allInvoices(client);
    expect(invoices.map((invoice) => invoice.status)).toEqual(["paid", "void", "uncollectible", "void"]);
    expectGapless(invoices);
    for (const [type, sub, count] of [
      ["subscription.renewed", r1.id, 2],
      ["subscription.past_due", r1.id, 1],
      ["subscription.canceled", r1.id, 1],
      ["subscription.canceled", r2.id, 1],
      ["subscription.renewed", r2.id, 0],
    ] as const) {
      expect(await factCount(server, type, "subscriptionId", sub), `${type} ${sub}`).toBe(count);
    }
    for (const id of [renewedId, nextId]) {
      expect(await factCount(server, "invoice.finalized", "invoiceId", id)).toBe(1);
    }
    expect(await factCount(server, "invoice.marked_uncollectible", "invoiceId", renewedId)).toBe(1);
    expect(await factCount(server, "invoice.voided", "invoiceId", nextId)).toBe(1);
    const timers = await server.runtime.log.db.keys({ gte: "x!bt!real!", lt: "x!bt!real!~" }).all();
    expect(timers).toEqual([]);
  });
});

describe("SIGKILL in the middle of a test-clock advance", () => {
  it("a repeated advance after the restart renews every subscription once, numbers gapless", async () => {
    const dir = await tempDir("buffmoney-billing-kill-");
    const adminToken = "bm_admin_billing_kill";
    let child = await startChildServer({ dataDir: dir.path, adminToken });
    const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: child.url, maxRetries: 0 });
    const apiKey = (await admin.merchants.create({ name: "Killed mid-advance" })).apiKeys.test;
    let client = clientOf(child, apiKey);
    const standard = await standardPrice(client);
    const anchor = Date.parse("2027-05-20T12:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(anchor) });
    const subscriptions = 40;
    const ids: string[] = [];
    for (let i = 0; i < subscriptions; i++) {
      await client.customers.create({ externalId: `k${i}`, testClockId: clock.id });
      const sub = await client.subscriptions.create({ customerExternalId: `k${i}`, priceId: standard.id });
      await pay(client, sub.latestInvoiceId!);
      ids.push(sub.id);
    }

    // Renewal (draft + finalize), grace → past due, dunning → canceled: ~160 records in one advance.
    const target = new Date(monthlyPeriodEnd(anchor, 0) + 20 * day);
    const advancing = client.testClocks.advance(clock.id, { frozenTime: target }).catch(() => "killed");
    await until(
      async () => (await client.invoices.list({ limit: 100 })).data.length,
      (count) => count > subscriptions + 2,
      15_000,
    );
    await child.kill();
    expect(await advancing).toBe("killed");

    child = await startChildServer({ dataDir: dir.path, adminToken });
    client = clientOf(child, apiKey);
    const midway = await allInvoices(client);
    expect(midway.length).toBeGreaterThan(subscriptions);
    expect(midway.length).toBeLessThan(2 * subscriptions);
    expect(Date.parse((await client.testClocks.retrieve(clock.id)).frozenTime)).toBe(anchor);

    await client.testClocks.advance(clock.id, { frozenTime: target });
    await client.testClocks.advance(clock.id, { frozenTime: new Date(target.getTime() + 2 * day) });
    const invoices = await allInvoices(client);
    expect(invoices).toHaveLength(2 * subscriptions);
    expectGapless(invoices);
    for (const id of ids) {
      expect(await client.subscriptions.retrieve(id)).toMatchObject({
        status: "canceled",
        cancelReason: "unpaid",
      });
      const own = invoices.filter((invoice) => invoice.subscriptionId === id);
      expect(own.map((invoice) => invoice.status)).toEqual(["paid", "uncollectible"]);
    }
    expect(await child.stop()).toBe(0);

    await expectAuditClean(dir.path);
  }, 40_000);
});

describe("billing actors across a clean restart", () => {
  it("are snapshotted at the checkpoint and come back from the snapshot, numbering on", async () => {
    const dir = await tempDir("buffmoney-billing-snapshots-");
    let server = await start(dir.path);
    const created = await server.admin.merchants.create({ name: "Snapshots" });
    let client = clientOf(server, created.apiKeys.test);
    const standard = await standardPrice(client);
    await client.customers.create({ externalId: "s1" });
    const first = await client.subscriptions.create({ customerExternalId: "s1", priceId: standard.id });
    await pay(client, first.latestInvoiceId!);
    await stop(server);

    const numbersEntity = `invoicenumbers:test:${created.id}`;
    const raw = new Level<string, string>(dir.path, { keyEncoding: "utf8", valueEncoding: "utf8" });
    await raw.open();
    const kept = await raw.getMany([
      `s!${numbersEntity}`,
      `s!subscription:${first.id}`,
      `s!invoice:${first.latestInvoiceId!}`,
    ]);
    await raw.close();
    expect(kept.every((value) => value !== undefined)).toBe(true);
    const ledger = await AuditLedger.open(dir.path);
    try {
      const compared = await compareSnapshots(ledger);
      expect(compared.findings).toEqual([]);
      expect(compared.matched).toBe(compared.snapshots);
      expect(compared.snapshots).toBeGreaterThanOrEqual(4);
    } finally {
      await ledger.close();
    }

    server = await start(dir.path);
    client = clientOf(server, created.apiKeys.test);
    await client.customers.create({ externalId: "s2" });
    const second = await client.subscriptions.create({ customerExternalId: "s2", priceId: standard.id });
    expect((await client.invoices.retrieve(second.latestInvoiceId!)).number).toBe("TEST-INV-000002");
    expect((await client.subscriptions.retrieve(first.id)).status).toBe("active");
    await stop(server);
  });
});
