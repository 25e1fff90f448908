import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monthlyPeriodEnd } from "../domain/billing/index.js";
import { catalogue, day, merchant, payInvoice, type TestServer } from "./support/billingFlow.js";
import { startTestServer } from "./support/server.js";

/**
 * An upgrade takes effect at once and invoices the prorated difference. That invoice is owed like a
 * renewal's: unpaid past its grace the subscription goes past due, and when dunning runs out it is
 * canceled as unpaid — an upgrade is not kept for free by never paying its proration.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ collect: true });
});

afterAll(async () => {
  await server.remove();
});

const start = Date.parse("2026-06-01T00:00:00+08:00");
const periodEnd = monthlyPeriodEnd(start, 0);
const addYuan = (a: string, b: string) => {
  const fen = (yuan: string) => BigInt(yuan.replace(".", ""));
  const sum = fen(a) + fen(b);
  return `${sum / 100n}.${(sum % 100n).toString().padStart(2, "0")}`;
};

async function upgraded(
  client: Awaited<ReturnType<typeof merchant>>["client"],
  externalId: string,
  afterDays: number,
) {
  const { product, standard, pro } = await catalogue(client);
  const clock = await client.testClocks.create({ frozenTime: new Date(start) });
  await client.customers.create({ externalId, testClockId: clock.id });
  const sub = await client.subscriptions.create({ customerExternalId: externalId, priceId: standard.id });
  await payInvoice(client, sub.latestInvoiceId!);
  await client.testClocks.advance(clock.id, { frozenTime: new Date(start + afterDays * day) });
  const changed = await client.subscriptions.changePlan(sub.id, { priceId: pro.id });
  const proration = await client.invoices.retrieve(changed.latestInvoiceId!);
  expect(proration).toMatchObject({ status: "open", purpose: "subscription" });
  return { product, clock, sub, proration };
}

describe("an upgrade's proration invoice", () => {
  it("left unpaid past its grace puts the subscription past due, and dunning cancels it as unpaid", async () => {
    const { client } = await merchant(server, "Unpaid upgrade");
    const { product, clock, sub, proration } = await upgraded(client, "p1", 10);

    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 13 * day - 1000) });
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe("active");
    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 13 * day + 1000) });
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe("past_due");
    expect((await client.entitlements.check("p1", product.id)).hasAccess).toBe(true);

    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 27 * day + 1000) });
    expect(await client.subscriptions.retrieve(sub.id)).toMatchObject({
      status: "canceled",
      cancelReason: "unpaid",
    });
    expect((await client.invoices.retrieve(proration.id)).status).toBe("uncollectible");
    expect((await client.entitlements.check("p1", product.id)).hasAccess).toBe(false);
  });

  it("paid within its grace leaves the subscription active through the grace end and the renewal", async () => {
    const { client } = await merchant(server, "Paid upgrade");
    const { clock, sub, proration } = await upgraded(client, "p2", 10);
    await payInvoice(client, proration.id);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 20 * day) });
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe("active");
    await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd + 1000) });
    const renewed = await client.subscriptions.retrieve(sub.id);
    expect(renewed.status).toBe("active");
    expect((await client.invoices.retrieve(renewed.latestInvoiceId!)).total).toBe("299.00");
  });

  it("still unpaid at the renewal: carried onto the renewal invoice, whose dunning cancels it as unpaid", async () => {
    const { client } = await merchant(server, "Unpaid across renewal");
    const { clock, sub, proration } = await upgraded(client, "p3", 25);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd + 1000) });
    const renewed = await client.subscriptions.retrieve(sub.id);
    expect(renewed.status).toBe("past_due");
    const renewal = renewed.latestInvoiceId!;
    expect(renewal).not.toBe(proration.id);
    expect((await client.invoices.retrieve(proration.id)).status).toBe("void");
    expect((await client.invoices.retrieve(renewal)).total).toBe(addYuan("299.00", proration.total));

    await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd + 17 * day + 1000) });
    expect(await client.subscriptions.retrieve(sub.id)).toMatchObject({
      status: "canceled",
      cancelReason: "unpaid",
    });
    expect((await client.invoices.retrieve(renewal)).status).toBe("uncollectible");
  });

  it("upgraded within its grace of a cancel at the period end: written off when dunning runs out", async () => {
    const { client } = await merchant(server, "Upgrade, then cancel at the period end");
    const { clock, sub, proration } = await upgraded(client, "p6", 29);
    await client.subscriptions.cancel(sub.id, { at: "period_end" });
    await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd + 1000) });
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe("canceled");
    expect((await client.invoices.retrieve(proration.id)).status).toBe("open");

    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 29 * day + 17 * day + 1000) });
    expect((await client.invoices.retrieve(proration.id)).status).toBe("uncollectible");
  });

  it("lapsed, then only the renewal is paid: that pays the proration too, so nothing stays owed", async () => {
    const { client } = await merchant(server, "Renewal paid, proration not");
    const { clock, sub, proration } = await upgraded(client, "p4", 25);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd + 1000) });
    const renewal = (await client.subscriptions.retrieve(sub.id)).latestInvoiceId!;
    await payInvoice(client, renewal);

    await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd + 20 * day) });
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe("active");
    expect((await client.invoices.retrieve(proration.id)).status).toBe("void");
    expect((await client.invoices.retrieve(renewal)).total).toBe(addYuan("299.00", proration.total));
  });

  it("upgraded within its grace of the period end: the renewal bills the proration, which is not kept for free", async () => {
    const { client } = await merchant(server, "Upgrade at the period end");
    const { clock, sub, proration } = await upgraded(client, "p5", 29);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd + 1000) });
    const renewal = (await client.subscriptions.retrieve(sub.id)).latestInvoiceId!;
    expect((await client.invoices.retrieve(proration.id)).status).toBe("void");
    expect((await client.invoices.retrieve(renewal)).total).toBe(addYuan("299.00", proration.total));

    // Canceling at once voids what is owed; nothing of the upgrade is left open to be paid.
    await client.subscriptions.cancel(sub.id, { at: "immediately" });
    expect((await client.invoices.retrieve(renewal)).status).toBe("void");
  });
});
