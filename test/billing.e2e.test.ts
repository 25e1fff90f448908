import BuffMoneyClient, { type Invoice } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monthlyPeriodEnd, planChangeProration } from "../domain/billing/index.js";
import { catalogue, codeOf } from "./support/billingFlow.js";
import { startTestServer } from "./support/server.js";

let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer({ collect: true });
});

afterAll(async () => {
  await server.remove();
});

async function merchant(name: string) {
  const created = await server.admin.merchants.create({ name });
  return new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
}

const day = 24 * 3600 * 1000;
const fen = (yuan: string) => BigInt(yuan.replace(".", ""));
const yuan = (amount: bigint) => `${amount / 100n}.${(amount % 100n).toString().padStart(2, "0")}`;

/** Pays an invoice the way a buyer does: a WeChat Native order, paid at the sandbox simulator. */
async function payInvoice(client: BuffMoneyClient, invoice: Invoice | string) {
  const id = typeof invoice === "string" ? invoice : invoice.id;
  const started = await client.invoices.pay(id, { channel: "wechat_native" });
  expect(started).toMatchObject({ object: "invoice_payment", invoiceId: id, channel: "wechat_native" });
  const paid = await client.sandbox.simulatePayment(id, { outcome: "succeeded" });
  expect(paid.status).toBe("paid");
  return paid;
}

describe("subscriptions through a test clock", () => {
  it("bills a subscription month by month: first invoice, renewals, an upgrade, a lapse, a cancel", async () => {
    const client = await merchant("Moonshot Studio");
    const { product, standard, pro } = await catalogue(client);
    const start = Date.parse("2026-01-31T10:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "u1", email: "u1@example.com", testClockId: clock.id });

    const created = await client.subscriptions.create({ customerExternalId: "u1", priceId: standard.id });
    expect(created).toMatchObject({ status: "incomplete", priceId: standard.id, productId: product.id });
    expect(Date.parse(created.currentPeriodEnd)).toBe(monthlyPeriodEnd(start, 0));
    const first = await client.invoices.retrieve(created.latestInvoiceId!);
    expect(first).toMatchObject({
      status: "open",
      number: "TEST-INV-000001",
      total: "149.00",
      purpose: "subscription",
    });
    expect((await client.entitlements.check("u1", product.id)).hasAccess).toBe(false);

    await payInvoice(client, first);
    const active = await client.subscriptions.retrieve(created.id);
    expect(active.status).toBe("active");
    expect((await client.entitlements.check("u1", product.id)).hasAccess).toBe(true);

    // Month 2 (Feb 28 in Beijing: the anchor day 31 is clamped): a renewal invoice, paid.
    const feb = monthlyPeriodEnd(start, 0);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(feb + 1000) });
    const renewed = await client.subscriptions.retrieve(created.id);
    expect(Date.parse(renewed.currentPeriodStart)).toBe(feb);
    expect(renewed.latestInvoiceId).not.toBe(first.id);
    const second = await client.invoices.retrieve(renewed.latestInvoiceId!);
    expect(second).toMatchObject({ status: "open", number: "TEST-INV-000002", total: "149.00" });
    await payInvoice(client, second);
    // Paid in the clock's time, as it was finalized: not the wall clock's, months earlier.
    expect(await client.invoices.retrieve(second.id)).toMatchObject({
      finalizedAt: new Date(feb).toISOString(),
      paidAt: new Date(feb + 1000).toISOString(),
    });

    // Halfway through: upgrade to Pro, prorated to the second.
    const upgradeAt = feb + 10 * day;
    await client.testClocks.advance(clock.id, { frozenTime: new Date(upgradeAt) });
    const upgraded = await client.subscriptions.changePlan(created.id, { priceId: pro.id });
    expect(upgraded.priceId).toBe(pro.id);
    const proration = planChangeProration({
      oldAmountFen: 14_900n,
      newAmountFen: 29_900n,
      periodStart: feb,
      periodEnd: monthlyPeriodEnd(start, 1),
      at: upgradeAt,
    });
    const prorated = await client.invoices.retrieve(upgraded.latestInvoiceId!);
    expect(prorated.number).toBe("TEST-INV-000003");
    expect(prorated.lines.map((line) => line.amount)).toEqual([
      `-${yuan(proration.unusedCreditFen)}`,
      yuan(proration.remainingChargeFen),
    ]);
    expect(fen(prorated.total)).toBe(proration.netFen);
    // The old price is named as its own fee line was, not by its id.
    expect(prorated.lines.map((line) => line.description)).toEqual([
      "Unused time on AI Studio · AI 工作室 · Standard 未使用时长退还",
      "Remaining time on AI Studio · AI 工作室 · Pro 剩余时长",
    ]);
    await payInvoice(client, prorated);

    // Month 3 renews at the Pro price; left unpaid past the grace period, it goes past due.
    const mar = monthlyPeriodEnd(start, 1);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(mar + 4 * day) });
    const lapsed = await client.subscriptions.retrieve(created.id);
    expect(lapsed.status).toBe("past_due");
    const third = await client.invoices.retrieve(lapsed.latestInvoiceId!);
    expect(third).toMatchObject({ status: "open", total: "299.00", number: "TEST-INV-000004" });
    expect((await client.entitlements.check("u1", product.id)).hasAccess).toBe(true);
    await payInvoice(client, third);
    expect((await client.subscriptions.retrieve(created.id)).status).toBe("active");

    // Cancel at period end: access is kept until then; resume undoes it; cancel again and let it end.
    expect((await client.subscriptions.cancel(created.id)).cancelAtPeriodEnd).toBe(true);
    expect((await client.subscriptions.resume(created.id)).cancelAtPeriodEnd).toBe(false);
    await client.subscriptions.cancel(created.id, { at: "period_end" });
    const apr = monthlyPeriodEnd(start, 2);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(apr + 1000) });
    const ended = await client.subscriptions.retrieve(created.id);
    expect(ended).toMatchObject({ status: "canceled", cancelReason: "requested" });
    expect((await client.entitlements.check("u1", product.id)).hasAccess).toBe(false);

    const invoices = await client.invoices.list({ subscriptionId: created.id });
    expect(invoices.data.map((invoice) => invoice.number)).toEqual([
      "TEST-INV-000004",
      "TEST-INV-000003",
      "TEST-INV-000002",
      "TEST-INV-000001",
    ]);
    expect(invoices.data.every((invoice) => invoice.status === "paid")).toBe(true);
  });

  it("a downgrade waits for the period end by default, or credits unused time to the next invoice", async () => {
    const client = await merchant("Downgrades");
    const { standard, pro } = await catalogue(client);
    const start = Date.parse("2026-03-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "d1", testClockId: clock.id });
    await client.customers.create({ externalId: "d2", testClockId: clock.id });

    const later = await client.subscriptions.create({ customerExternalId: "d1", priceId: pro.id });
    await payInvoice(client, later.latestInvoiceId!);
    const now = await client.subscriptions.create({ customerExternalId: "d2", priceId: pro.id });
    await payInvoice(client, now.latestInvoiceId!);

    const changeAt = start + 15 * day;
    await client.testClocks.advance(clock.id, { frozenTime: new Date(changeAt) });
    const scheduled = await client.subscriptions.changePlan(later.id, { priceId: standard.id });
    expect(scheduled).toMatchObject({ priceId: pro.id, pendingChange: { priceId: standard.id } });
    const immediate = await client.subscriptions.changePlan(now.id, {
      priceId: standard.id,
      downgrade: "immediately",
    });
    const credit = -planChangeProration({
      oldAmountFen: 29_900n,
      newAmountFen: 14_900n,
      periodStart: start,
      periodEnd: monthlyPeriodEnd(start, 0),
      at: changeAt,
    }).netFen;
    expect(immediate).toMatchObject({ priceId: standard.id, credit: yuan(credit) });

    await client.testClocks.advance(clock.id, { frozenTime: new Date(monthlyPeriodEnd(start, 0) + 1000) });
    const laterRenewal = await client.invoices.retrieve(
      (await client.subscriptions.retrieve(later.id)).latestInvoiceId!,
    );
    expect(laterRenewal).toMatchObject({ total: "149.00", creditApplied: "0.00" });
    const nowRenewal = await client.invoices.retrieve(
      (await client.subscriptions.retrieve(now.id)).latestInvoiceId!,
    );
    expect(nowRenewal).toMatchObject({ subtotal: "149.00", creditApplied: yuan(credit) });
    expect(fen(nowRenewal.total)).toBe(14_900n - credit);
    expect((await client.subscriptions.retrieve(now.id)).credit).toBe("0.00");
  });

  it("an unpaid first invoice expires the subscription; dunning cancels a past-due one as unpaid", async () => {
    const client = await merchant("Dunning");
    const { standard } = await catalogue(client);
    const start = Date.parse("2026-05-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "x1", testClockId: clock.id });
    await client.customers.create({ externalId: "x2", testClockId: clock.id });
    const never = await client.subscriptions.create({ customerExternalId: "x1", priceId: standard.id });
    const lapsing = await client.subscriptions.create({ customerExternalId: "x2", priceId: standard.id });
    await payInvoice(client, lapsing.latestInvoiceId!);

    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 2 * day) });
    expect(await client.subscriptions.retrieve(never.id)).toMatchObject({
      status: "canceled",
      cancelReason: "incomplete_expired",
    });
    expect((await client.invoices.retrieve(never.latestInvoiceId!)).status).toBe("void");

    await client.testClocks.advance(clock.id, {
      frozenTime: new Date(monthlyPeriodEnd(start, 0) + 20 * day),
    });
    const gone = await client.subscriptions.retrieve(lapsing.id);
    expect(gone).toMatchObject({ status: "canceled", cancelReason: "unpaid" });
    expect((await client.invoices.retrieve(gone.latestInvoiceId!)).status).toBe("uncollectible");
  });
});

describe("wallet reservations on a test clock", () => {
  it("expire when the clock passes them, not by the wall clock", async () => {
    const client = await merchant("Reservations");
    const start = Date.parse("2027-02-01T09:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "r1", testClockId: clock.id });
    await client.wallets.grant("r1", { amount: "100.00", reason: "trial" });
    const held = await client.wallets.reserve("r1", { amount: "40.00", expiresInSeconds: 3600 });
    expect(Date.parse(held.reservation.expiresAt)).toBe(start + 3600_000);
    expect((await client.wallets.retrieve("r1")).available).toBe("60.00");

    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 3599_000) });
    expect((await client.wallets.retrieve("r1")).reserved).toBe("40.00");
    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 2 * 3600_000) });
    const after = await client.wallets.retrieve("r1");
    expect(after).toMatchObject({ reserved: "0.00", available: "100.00" });
    expect(await codeOf(client.wallets.capture("r1", held.reservation.id))).toBe("reservation_not_active");
  });
});

describe("canceling at once", () => {
  it("voids an unpaid upgrade's proration invoice along with the subscription", async () => {
    const client = await merchant("Cancel after upgrade");
    const { standard, pro } = await catalogue(client);
    const start = Date.parse("2027-05-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "up", testClockId: clock.id });
    const sub = await client.subscriptions.create({ customerExternalId: "up", priceId: standard.id });
    await payInvoice(client, sub.latestInvoiceId!);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 10 * day) });
    const upgraded = await client.subscriptions.changePlan(sub.id, { priceId: pro.id });
    const proration = upgraded.latestInvoiceId!;
    expect((await client.invoices.retrieve(proration)).status).toBe("open");

    await client.subscriptions.cancel(sub.id, { at: "immediately" });
    expect(await client.invoices.retrieve(proration)).toMatchObject({
      status: "void",
      voidReason: "subscription_canceled",
    });
    expect((await client.invoices.retrieve(sub.latestInvoiceId!)).status).toBe("paid");
  });
});

describe("usage on a test clock", () => {
  it("is timed by the clock: an event at the clock's now is accepted, one at the wall clock's is out of range", async () => {
    const client = await merchant("Clocked usage");
    const card = await client.rateCards.create({
      name: "tokens",
      currency: "CNY",
      prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.0002" }],
    });
    const clockNow = Date.parse("2028-03-01T12:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(clockNow) });
    await client.customers.create({ externalId: "clocked", testClockId: clock.id });
    await client.customers.update("clocked", { rateCardId: card.id, billingMode: "postpaid" });
    const event = (key: string, at: number) => ({
      customerExternalId: "clocked",
      idempotencyKey: key,
      metric: "tokens_output",
      quantity: "1000",
      occurredAt: new Date(at),
    });
    const { results } = await client.usageEvents.ingest([
      event("on-clock", clockNow - 60_000),
      event("wall-clock", Date.now()),
    ]);
    expect(results.map((r) => [r.status, r.code ?? null])).toEqual([
      ["accepted", null],
      ["rejected", "occurred_at_out_of_range"],
    ]);
  });
});

describe("postpaid usage on renewal invoices", () => {
  it("bills a volume tier's credit against the fee and carries sub-fen remainders, so nothing accrued is lost", async () => {
    const client = await merchant("Postpaid credits");
    const { standard } = await catalogue(client);
    const card = await client.rateCards.create({
      name: "runs",
      currency: "CNY",
      prices: [
        {
          metric: "agent_runs",
          pricing: "volume",
          tiers: [
            { upTo: "100", unitAmount: "1.00" },
            { upTo: null, unitAmount: "0.50" },
          ],
        },
        { metric: "images", pricing: "per_unit", unitAmount: "0.0066" },
      ],
    });
    const start = Date.parse("2028-01-20T10:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "pp", testClockId: clock.id });
    await client.customers.update("pp", { rateCardId: card.id, billingMode: "postpaid" });
    const sub = await client.subscriptions.create({ customerExternalId: "pp", priceId: standard.id });
    await payInvoice(client, sub.latestInvoiceId!);
    let n = 0;
    const use = async (at: string, metric: string, quantity: string) => {
      const time = Date.parse(at);
      await client.testClocks.advance(clock.id, { frozenTime: new Date(time) });
      const { results } = await client.usageEvents.ingest([
        { customerExternalId: "pp", idempotencyKey: `u${++n}`, metric, quantity, occurredAt: new Date(time) },
      ]);
      expect(results[0]?.status).toBe("accepted");
    };
    const renewal = async (at: string) => {
      await client.testClocks.advance(clock.id, { frozenTime: new Date(Date.parse(at)) });
      const latest = (await client.subscriptions.retrieve(sub.id)).latestInvoiceId!;
      const invoice = await client.invoices.retrieve(latest);
      return invoice.lines.filter((line) => line.kind === "usage").map((line) => line.amount);
    };

    await use("2028-02-05T10:00:00+08:00", "agent_runs", "100");
    await use("2028-02-05T11:00:00+08:00", "images", "1");
    // 0.0066 rounds to 0.01 on this invoice; the 0.0034 it overbilled is carried.
    expect(await renewal("2028-02-20T10:00:01+08:00")).toEqual(["100.00", "0.01"]);
    await payInvoice(client, (await client.subscriptions.retrieve(sub.id)).latestInvoiceId!);
    // The 101st run of February reaches the cheaper tier: the month's runs cost 50.50, a credit of 49.50.
    await use("2028-02-25T10:00:00+08:00", "agent_runs", "1");
    await use("2028-02-25T11:00:00+08:00", "images", "1");
    // 0.0066 − 0.0034 carried = 0.0032: nothing this time, carried again.
    expect(await renewal("2028-03-20T10:00:01+08:00")).toEqual(["-49.50"]);
    const march = await client.invoices.retrieve(
      (await client.subscriptions.retrieve(sub.id)).latestInvoiceId!,
    );
    expect(march.total).toBe("99.50");
    await payInvoice(client, march.id);
    await use("2028-04-02T10:00:00+08:00", "images", "1");
    // 0.0066 + 0.0032 = 0.0098: one fen. Three images billed 0.02 for 0.0198 used.
    expect(await renewal("2028-04-20T10:00:01+08:00")).toEqual(["0.01"]);
  });
});

describe("postpaid usage of many metrics", () => {
  it("renews with usage in 100 metrics: those past the 89th (in name order) share one line; the total is every metric's", async () => {
    const client = await merchant("Many metrics");
    const { standard } = await catalogue(client);
    const custom = Array.from({ length: 95 }, (_, i) => `m${String(i).padStart(2, "0")}`);
    for (const key of custom) await client.metrics.create({ key, name: key, unit: "call" });
    const metrics = ["tokens_input", "tokens_output", "images", "agent_runs", "storage_gb_hours", ...custom];
    const card = await client.rateCards.create({
      name: "everything",
      currency: "CNY",
      prices: metrics.map((metric) => ({ metric, pricing: "per_unit" as const, unitAmount: "0.01" })),
    });
    const start = Date.parse("2028-01-20T10:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "wide", testClockId: clock.id });
    await client.customers.update("wide", { rateCardId: card.id, billingMode: "postpaid" });
    const sub = await client.subscriptions.create({ customerExternalId: "wide", priceId: standard.id });
    await payInvoice(client, sub.latestInvoiceId!);
    const { results } = await client.usageEvents.ingest(
      metrics.map((metric, i) => ({
        customerExternalId: "wide",
        idempotencyKey: `w${i}`,
        metric,
        quantity: String(i + 1),
        occurredAt: new Date(start + 60_000),
      })),
    );
    expect(results.every((r) => r.status === "accepted")).toBe(true);
    await client.testClocks.advance(clock.id, {
      frozenTime: new Date(Date.parse("2028-02-20T10:00:01+08:00")),
    });
    const renewed = await client.subscriptions.retrieve(sub.id);
    expect(renewed.status).toBe("active");
    const invoice = await client.invoices.retrieve(renewed.latestInvoiceId!);
    const usage = invoice.lines.filter((line) => line.kind === "usage");
    expect(usage).toHaveLength(90);
    expect(usage[89]?.description).toMatch(/^Usage 用量: 11 more metrics/);
    // 1 + 2 + … + 100 calls at ¥0.01.
    const usageFen = usage.reduce((sum, line) => sum + fen(line.amount), 0n);
    expect(usageFen).toBe(5050n);
  });
});

describe("one-time purchases", () => {
  it("grants a permanent entitlement when paid; a refund inside the window revokes it, outside is refused", async () => {
    const client = await merchant("Lifetime");
    const { lifetime, once } = await catalogue(client);
    const start = Date.parse("2026-06-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "p1", testClockId: clock.id });

    const bought = await client.purchases.create({ customerExternalId: "p1", priceId: once.id });
    expect(bought).toMatchObject({ status: "pending", amount: "99.00" });
    await payInvoice(client, bought.invoiceId);
    const paid = await client.purchases.retrieve(bought.id);
    expect(paid.status).toBe("paid");
    expect(Date.parse(paid.refundableUntil!)).toBe(start + 7 * day);
    expect((await client.entitlements.check("p1", lifetime.id)).hasAccess).toBe(true);

    const refund = await client.purchases.refund(bought.id, { reason: "changed my mind" });
    expect(refund.amount).toBe("99.00");
    expect((await client.purchases.retrieve(bought.id)).status).toBe("refunded");
    expect((await client.entitlements.check("p1", lifetime.id)).hasAccess).toBe(false);

    const again = await client.purchases.create({ customerExternalId: "p1", priceId: once.id });
    await payInvoice(client, again.invoiceId);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 8 * day) });
    expect(await codeOf(client.purchases.refund(again.id))).toBe("refund_window_closed");
    expect((await client.entitlements.check("p1", lifetime.id)).hasAccess).toBe(true);
  });
});

describe("dunning longer than a period", () => {
  it("a past-due subscription canceled at its period end still has its unpaid invoice written off when dunning ends", async () => {
    const long = await startTestServer({ collect: true, billing: { graceMs: 3 * day, dunningMs: 40 * day } });
    try {
      const created = await long.admin.merchants.create({ name: "Ended while past due" });
      const client = new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: long.url, maxRetries: 0 });
      const { standard } = await catalogue(client);
      const start = Date.parse("2027-04-02T00:00:00+08:00");
      const clock = await client.testClocks.create({ frozenTime: new Date(start) });
      await client.customers.create({ externalId: "gone", testClockId: clock.id });
      const sub = await client.subscriptions.create({ customerExternalId: "gone", priceId: standard.id });
      await payInvoice(client, sub.latestInvoiceId!);
      await client.testClocks.advance(clock.id, {
        frozenTime: new Date(monthlyPeriodEnd(start, 0) + 4 * day),
      });
      const lapsed = await client.subscriptions.cancel(sub.id, { at: "period_end" });
      expect(lapsed).toMatchObject({ status: "past_due", cancelAtPeriodEnd: true });

      await client.testClocks.advance(clock.id, { frozenTime: new Date(monthlyPeriodEnd(start, 1) + day) });
      expect(await client.subscriptions.retrieve(sub.id)).toMatchObject({
        status: "canceled",
        cancelReason: "requested",
      });
      expect((await client.invoices.retrieve(lapsed.latestInvoiceId!)).status).toBe("open");
      await client.testClocks.advance(clock.id, {
        frozenTime: new Date(monthlyPeriodEnd(start, 0) + 44 * day),
      });
      expect((await client.invoices.retrieve(lapsed.latestInvoiceId!)).status).toBe("uncollectible");
    } finally {
      await long.remove();
    }
  });

  it("a past-due subscription whose customer pays only the older invoice is still canceled as unpaid", async () => {
    await withTwoOpenInvoices(
      "Long dunning",
      "late",
      async ({ client, product, clock, start, sub, older, newer }) => {
        // Only the older invoice is paid: the newer one's own dunning still ends the subscription.
        await payInvoice(client, older);
        expect((await client.subscriptions.retrieve(sub)).status).toBe("past_due");
        await client.testClocks.advance(clock, {
          frozenTime: new Date(monthlyPeriodEnd(start, 1) + 45 * day),
        });
        expect(await client.subscriptions.retrieve(sub)).toMatchObject({
          status: "canceled",
          cancelReason: "unpaid",
        });
        expect((await client.invoices.retrieve(newer)).status).toBe("uncollectible");
        expect((await client.entitlements.check("late", product)).hasAccess).toBe(false);
      },
    );
  });

  it("a past-due subscription whose customer pays only the newer invoice stays active, and the older one is written off when its dunning ends", async () => {
    await withTwoOpenInvoices(
      "Pays the newer",
      "newer",
      async ({ client, product, clock, start, sub, older, newer }) => {
        await payInvoice(client, newer);
        expect((await client.subscriptions.retrieve(sub)).status).toBe("active");
        // The older invoice's dunning (40 days from its lapse) ends before the next renewal.
        await client.testClocks.advance(clock, {
          frozenTime: new Date(monthlyPeriodEnd(start, 0) + 45 * day),
        });
        expect((await client.invoices.retrieve(older)).status).toBe("uncollectible");
        expect((await client.subscriptions.retrieve(sub)).status).toBe("active");
        expect((await client.entitlements.check("newer", product)).hasAccess).toBe(true);
      },
    );
  });
});

/**
 * A subscription that lapsed and then renewed while past due, on a server whose dunning (40 days)
 * outlasts a period: two of its invoices are open at once, the one that lapsed and the renewal's.
 */
async function withTwoOpenInvoices(
  name: string,
  externalId: string,
  run: (s: {
    client: BuffMoneyClient;
    product: string;
    clock: string;
    start: number;
    sub: string;
    older: string;
    newer: string;
  }) => Promise<void>,
): Promise<void> {
  const long = await startTestServer({ collect: true, billing: { graceMs: 3 * day, dunningMs: 40 * day } });
  try {
    const created = await long.admin.merchants.create({ name });
    const client = new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: long.url, maxRetries: 0 });
    const { product, standard } = await catalogue(client);
    const start = Date.parse("2027-01-10T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId, testClockId: clock.id });
    const sub = await client.subscriptions.create({ customerExternalId: externalId, priceId: standard.id });
    await payInvoice(client, sub.latestInvoiceId!);

    await client.testClocks.advance(clock.id, { frozenTime: new Date(monthlyPeriodEnd(start, 0) + 4 * day) });
    const lapsed = await client.subscriptions.retrieve(sub.id);
    expect(lapsed.status).toBe("past_due");
    await client.testClocks.advance(clock.id, { frozenTime: new Date(monthlyPeriodEnd(start, 1) + day) });
    const renewed = await client.subscriptions.retrieve(sub.id);
    expect(renewed).toMatchObject({ status: "past_due" });
    expect(renewed.latestInvoiceId).not.toBe(lapsed.latestInvoiceId);
    await run({
      client,
      product: product.id,
      clock: clock.id,
      start,
      sub: sub.id,
      older: lapsed.latestInvoiceId!,
      newer: renewed.latestInvoiceId!,
    });
  } finally {
    await long.remove();
  }
}
