import type BuffMoneyClient from "@buffmoney/sdk";
import type { Invoice } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  catalogue,
  codeOf,
  control,
  day,
  expectLedgerAudited,
  merchant,
  merchantFen,
  payInvoice,
  waitFor,
  type TestServer,
} from "./support/billingFlow.js";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/** Refunds of paid subscription and purchase invoices through POST /v1/refunds. */
let dir: Awaited<ReturnType<typeof tempDir>>;
let server: TestServer;
let stopped = false;

beforeAll(async () => {
  dir = await tempDir("buffmoney-billing-refunds-");
  server = await startTestServer({ collect: true, dataDir: dir.path });
});

afterAll(async () => {
  if (!stopped) await server.stop();
  await dir.remove();
});

const settled = (client: BuffMoneyClient, invoiceId: string) =>
  waitFor(
    () => client.invoices.retrieve(invoiceId),
    (i: Invoice) => i.refunds.length > 0 && i.refunds.every((r) => r.status !== "pending"),
  );

describe("refunding a paid subscription invoice", () => {
  it("partial then full: revenue and collections move by each refund, the channel refunds, the subscription stays", async () => {
    const { id, client } = await merchant(server, "Refunds of subscriptions");
    const { product, standard } = await catalogue(client);
    const clock = await client.testClocks.create({ frozenTime: new Date("2026-02-01T00:00:00+08:00") });
    await client.customers.create({ externalId: "r1", testClockId: clock.id });
    const sub = await client.subscriptions.create({ customerExternalId: "r1", priceId: standard.id });
    const invoiceId = sub.latestInvoiceId!;
    await payInvoice(client, invoiceId);
    const revenue = await merchantFen(server, id, "billed_revenue");
    const collections = await merchantFen(server, id, "invoice_collections");

    const partial = await client.refunds.create({ invoiceId, amount: "50.00", reason: "goodwill" });
    expect(partial).toMatchObject({ amount: "50.00", status: "pending", invoiceId });
    let invoice = await settled(client, invoiceId);
    expect(invoice).toMatchObject({ status: "paid", refundedAmount: "50.00" });
    expect(invoice.payment).toMatchObject({ status: "succeeded", refundedAmount: "50.00" });
    expect(await merchantFen(server, id, "billed_revenue")).toBe(revenue - 5_000n);
    expect(await merchantFen(server, id, "invoice_collections")).toBe(collections + 5_000n);

    // More than what is left is refused, and nothing moves.
    expect(await codeOf(client.refunds.create({ invoiceId, amount: "99.01" }))).toBe(
      "refund_exceeds_payment",
    );
    expect((await client.invoices.retrieve(invoiceId)).refundedAmount).toBe("50.00");

    await client.refunds.create({ invoiceId, amount: "99.00" });
    invoice = await waitFor(
      () => client.invoices.retrieve(invoiceId),
      (i) => i.payment?.status === "refunded",
    );
    expect(invoice).toMatchObject({ status: "paid", refundedAmount: "149.00" });
    expect(await merchantFen(server, id, "billed_revenue")).toBe(revenue - 14_900n);
    expect(await merchantFen(server, id, "invoice_collections")).toBe(collections + 14_900n);
    expect(await codeOf(client.refunds.create({ invoiceId, amount: "0.01" }))).toBe("refund_exceeds_payment");

    // A refund is money only: the subscription and its access are untouched.
    expect(await client.subscriptions.retrieve(sub.id)).toMatchObject({ status: "active" });
    expect((await client.entitlements.check("r1", product.id)).hasAccess).toBe(true);
  });

  it("a refund the channel refuses restores the revenue (invoice.restore_refund)", async () => {
    const { id, client } = await merchant(server, "Refused refunds");
    const { standard } = await catalogue(client);
    await client.customers.create({ externalId: "r2" });
    const sub = await client.subscriptions.create({ customerExternalId: "r2", priceId: standard.id });
    const invoiceId = sub.latestInvoiceId!;
    await payInvoice(client, invoiceId, "alipay_page");
    const revenue = await merchantFen(server, id, "billed_revenue");

    await control(server, "alipay", "/faults", {
      api: [{ operation: "alipay.trade.refund", code: "ACQ.TRADE_NOT_ALLOW_REFUND" }],
    });
    const refused = await client.refunds.create({ invoiceId, amount: "40.00" });
    const invoice = await settled(client, invoiceId);
    expect(invoice.refunds).toEqual([expect.objectContaining({ id: refused.id, status: "failed" })]);
    expect(invoice).toMatchObject({ status: "paid", refundedAmount: "0.00" });
    expect(invoice.payment?.refundedAmount).toBe("0.00");
    expect(await merchantFen(server, id, "billed_revenue")).toBe(revenue);
    const facts = [];
    for await (const record of server.runtime.log.scan(1))
      for (const fact of record.facts) if (fact.type === "invoice.refund_restored") facts.push(fact);
    expect(facts).toHaveLength(1);

    // The whole amount can still be refunded afterwards.
    await client.refunds.create({ invoiceId, amount: "149.00" });
    await waitFor(
      () => client.invoices.retrieve(invoiceId),
      (i) => i.payment?.status === "refunded",
    );
    expect(await merchantFen(server, id, "billed_revenue")).toBe(revenue - 14_900n);
  });

  it("an unpaid or unknown invoice cannot be refunded", async () => {
    const { client } = await merchant(server, "Nothing to refund");
    const { standard } = await catalogue(client);
    await client.customers.create({ externalId: "r3" });
    const sub = await client.subscriptions.create({ customerExternalId: "r3", priceId: standard.id });
    // It exists, with no payment started: nothing to refund, as once a payment is started and unpaid.
    expect(await codeOf(client.refunds.create({ invoiceId: sub.latestInvoiceId!, amount: "1.00" }))).toBe(
      "invoice_not_paid",
    );
    expect(
      await codeOf(client.refunds.create({ invoiceId: "inv_nosuchinvoice0000000", amount: "1.00" })),
    ).toBe("invoice_not_found");
    await client.invoices.pay(sub.latestInvoiceId!, { channel: "wechat_native" });
    expect(await codeOf(client.refunds.create({ invoiceId: sub.latestInvoiceId!, amount: "1.00" }))).toBe(
      "invoice_not_paid",
    );
  });
});

describe("refunding a purchase invoice through POST /v1/refunds", () => {
  it("the first refund revokes the purchase inside its window; the rest of the money can still be refunded", async () => {
    const { client } = await merchant(server, "Partial purchase refunds");
    const { lifetime, once } = await catalogue(client);
    const clock = await client.testClocks.create({ frozenTime: new Date("2026-06-01T00:00:00+08:00") });
    await client.customers.create({ externalId: "p1", testClockId: clock.id });
    const bought = await client.purchases.create({ customerExternalId: "p1", priceId: once.id });
    await payInvoice(client, bought.invoiceId);

    await client.refunds.create({ invoiceId: bought.invoiceId, amount: "9.00" });
    expect((await client.purchases.retrieve(bought.id)).status).toBe("refunded");
    expect((await client.entitlements.check("p1", lifetime.id)).hasAccess).toBe(false);
    await client.refunds.create({ invoiceId: bought.invoiceId, amount: "90.00" });
    const invoice = await waitFor(
      () => client.invoices.retrieve(bought.invoiceId),
      (i) => i.payment?.status === "refunded",
    );
    expect(invoice.refundedAmount).toBe("99.00");
    expect(await codeOf(client.purchases.refund(bought.id))).toBe("purchase_not_paid");
  });

  it("outside the refund window it is refused with refund_window_closed, not an internal error", async () => {
    const { client } = await merchant(server, "Late purchase refunds");
    const { lifetime, once } = await catalogue(client);
    const start = Date.parse("2026-06-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "p2", testClockId: clock.id });
    const bought = await client.purchases.create({ customerExternalId: "p2", priceId: once.id });
    await payInvoice(client, bought.invoiceId);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 8 * day) });

    expect(await codeOf(client.refunds.create({ invoiceId: bought.invoiceId, amount: "99.00" }))).toBe(
      "refund_window_closed",
    );
    expect((await client.purchases.retrieve(bought.id)).status).toBe("paid");
    expect((await client.entitlements.check("p2", lifetime.id)).hasAccess).toBe(true);
    expect((await client.invoices.retrieve(bought.invoiceId)).refundedAmount).toBe("0.00");
  });
});

describe("the ledger after these refunds", () => {
  it("every record balances and the audit finds nothing", async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    stopped = true;
    await expectLedgerAudited(server);
  });
});
