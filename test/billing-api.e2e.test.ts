import type { Invoice } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limits } from "../domain/limits.js";
import {
  catalogue,
  codeOf,
  day,
  expectLedgerAudited,
  merchant,
  payInvoice,
  waitFor,
  type TestServer,
} from "./support/billingFlow.js";
import { problemOf } from "./support/problem.js";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/** The billing API's edges: listing, isolation, refusals with their codes, idempotency. */
let dir: Awaited<ReturnType<typeof tempDir>>;
let server: TestServer;
let stopped = false;

beforeAll(async () => {
  dir = await tempDir("buffmoney-billing-api-");
  server = await startTestServer({ collect: true, dataDir: dir.path });
});

afterAll(async () => {
  if (!stopped) await server.stop();
  await dir.remove();
});

const idsOf = (invoices: Invoice[]) => invoices.map((invoice) => invoice.id);

describe("listing invoices", () => {
  it("filters by customer, subscription and status, pages newest first, and shows no one else's", async () => {
    const a = await merchant(server, "Lists A");
    const b = await merchant(server, "Lists B");
    const { standard, once } = await catalogue(a.client);
    await a.client.customers.create({ externalId: "l1" });
    await a.client.customers.create({ externalId: "l2" });
    const s1 = await a.client.subscriptions.create({ customerExternalId: "l1", priceId: standard.id });
    const p1 = await a.client.purchases.create({ customerExternalId: "l1", priceId: once.id });
    const s2 = await a.client.subscriptions.create({ customerExternalId: "l2", priceId: standard.id });
    const p2 = await a.client.purchases.create({ customerExternalId: "l2", priceId: once.id });
    const p3 = await a.client.purchases.create({ customerExternalId: "l2", priceId: once.id });
    await payInvoice(a.client, s1.latestInvoiceId!);
    await payInvoice(a.client, p2.invoiceId);
    await a.client.subscriptions.cancel(s2.id, { at: "immediately" });
    const newestFirst = [p3.invoiceId, p2.invoiceId, s2.latestInvoiceId!, p1.invoiceId, s1.latestInvoiceId!];

    const all = await a.client.invoices.list({ limit: 100 });
    expect(idsOf(all.data)).toEqual(newestFirst);
    expect(all).toMatchObject({ hasMore: false, nextCursor: null });

    const paged: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const got = await a.client.invoices.list({ limit: 2, ...(cursor ? { startingAfter: cursor } : {}) });
      paged.push(...idsOf(got.data));
      expect(got.hasMore).toBe(page < 2);
      cursor = got.nextCursor ?? undefined;
    }
    expect(paged).toEqual(newestFirst);
    const auto: string[] = [];
    for await (const invoice of a.client.invoices.listAll({ pageSize: 2 })) auto.push(invoice.id);
    expect(auto).toEqual(newestFirst);

    expect(idsOf((await a.client.invoices.list({ customerExternalId: "l1" })).data)).toEqual([
      p1.invoiceId,
      s1.latestInvoiceId!,
    ]);
    expect(idsOf((await a.client.invoices.list({ subscriptionId: s2.id })).data)).toEqual([
      s2.latestInvoiceId!,
    ]);
    expect(idsOf((await a.client.invoices.list({ status: "paid" })).data)).toEqual([
      p2.invoiceId,
      s1.latestInvoiceId!,
    ]);
    expect(idsOf((await a.client.invoices.list({ status: "void" })).data)).toEqual([s2.latestInvoiceId!]);
    const openOfL2 = await a.client.invoices.list({ customerExternalId: "l2", status: "open", limit: 1 });
    expect(idsOf(openOfL2.data)).toEqual([p3.invoiceId]);
    expect(openOfL2.hasMore).toBe(false);
    expect((await a.client.invoices.list({ status: "draft" })).data).toEqual([]);
    expect(await codeOf(a.client.invoices.list({ customerExternalId: "nobody" }))).toBe("customer_not_found");

    // A customer's purchases, whatever their state; none of another customer's. Newest first (two made
    // in the same millisecond go by id), a page at a time, the cursor the last one's id.
    const purchasesOfL2 = await a.client.purchases.list({ customerExternalId: "l2" });
    const newestFirstById = (x: { id: string; createdAt: string }, y: { id: string; createdAt: string }) =>
      Date.parse(y.createdAt) - Date.parse(x.createdAt) || (x.id < y.id ? 1 : -1);
    expect(purchasesOfL2.data.map((p) => p.id).sort()).toEqual([p2.id, p3.id].sort());
    expect(purchasesOfL2.data).toEqual([...purchasesOfL2.data].sort(newestFirstById));
    expect(purchasesOfL2.data.find((p) => p.id === p2.id)?.status).toBe("paid");
    expect(purchasesOfL2.data.find((p) => p.id === p3.id)?.status).toBe("pending");
    const [newest, older] = purchasesOfL2.data.map((p) => p.id);
    const first = await a.client.purchases.list({ customerExternalId: "l2", limit: 1 });
    expect(first).toMatchObject({ hasMore: true, nextCursor: newest });
    expect(first.data.map((p) => p.id)).toEqual([newest]);
    const second = await a.client.purchases.list({
      customerExternalId: "l2",
      limit: 1,
      startingAfter: newest,
    });
    expect(second).toMatchObject({ hasMore: false, nextCursor: null });
    expect(second.data.map((p) => p.id)).toEqual([older]);
    expect(await codeOf(a.client.purchases.list({ customerExternalId: "l2", startingAfter: p1.id }))).toBe(
      "invalid_request",
    );
    const listed: string[] = [];
    for await (const bought of a.client.purchases.listAll({ customerExternalId: "l1" }))
      listed.push(bought.id);
    expect(listed).toEqual([p1.id]);
    expect(await codeOf(a.live.purchases.list({ customerExternalId: "l1" }))).toBe("customer_not_found");
    const subscriptionsOfL1 = await a.client.subscriptions.list({ customerExternalId: "l1", limit: 1 });
    expect(subscriptionsOfL1).toMatchObject({ hasMore: false, nextCursor: null });
    expect(subscriptionsOfL1.data.map((sub) => sub.id)).toEqual([s1.id]);

    // Another merchant, and the same merchant's live key, see none of them.
    expect((await b.client.invoices.list()).data).toEqual([]);
    expect((await a.live.invoices.list()).data).toEqual([]);
    expect(await problemOf(b.client.invoices.retrieve(s1.latestInvoiceId!))).toEqual({
      code: "invoice_not_found",
      status: 404,
    });
    expect(await problemOf(b.client.invoices.pdf(s1.latestInvoiceId!))).toEqual({
      code: "invoice_not_found",
      status: 404,
    });
    expect(await problemOf(a.live.invoices.pdf(s1.latestInvoiceId!))).toEqual({
      code: "invoice_not_found",
      status: 404,
    });
    expect((await a.client.invoices.pdf(s1.latestInvoiceId!)).byteLength).toBeGreaterThan(0);
    expect(await codeOf(b.client.invoices.pay(p3.invoiceId, { channel: "wechat_native" }))).toBe(
      "invoice_not_found",
    );
    expect(await codeOf(b.client.sandbox.simulatePayment(p3.invoiceId, { outcome: "succeeded" }))).toBe(
      "invoice_not_found",
    );
    expect(await codeOf(b.client.refunds.create({ invoiceId: s1.latestInvoiceId!, amount: "1.00" }))).toBe(
      "invoice_not_found",
    );
  });

  it("a filtered page that reaches the scan bound says there is more, and the cursor resumes past it", async () => {
    const { client } = await merchant(server, "Scan bound");
    const { standard } = await catalogue(client);
    await client.customers.create({ externalId: "old" });
    await client.customers.create({ externalId: "busy" });
    const wanted = await client.subscriptions.create({ customerExternalId: "old", priceId: standard.id });
    for (let i = 0; i < 4; i++)
      await client.subscriptions.create({ customerExternalId: "busy", priceId: standard.id });
    const bounds = limits as { invoiceListScanMax: number };
    const scanMax = bounds.invoiceListScanMax;
    bounds.invoiceListScanMax = 3;
    try {
      const pages: string[][] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const got = await client.invoices.list({
          customerExternalId: "old",
          ...(cursor ? { startingAfter: cursor } : {}),
        });
        pages.push(idsOf(got.data));
        if (!got.hasMore) break;
        cursor = got.nextCursor!;
      }
      expect(pages).toEqual([[], [wanted.latestInvoiceId!]]);
    } finally {
      bounds.invoiceListScanMax = scanMax;
    }
  });

  it("a renewal's draft is finalized within the advance: none is left to see", async () => {
    const { client } = await merchant(server, "Drafts");
    const { standard } = await catalogue(client);
    const start = Date.parse("2026-09-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "d1", testClockId: clock.id });
    const sub = await client.subscriptions.create({ customerExternalId: "d1", priceId: standard.id });
    await payInvoice(client, sub.latestInvoiceId!);
    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 31 * day) });
    const renewed = await client.subscriptions.retrieve(sub.id);
    expect(await client.invoices.retrieve(renewed.latestInvoiceId!)).toMatchObject({
      status: "open",
      number: "TEST-INV-000002",
    });
    expect((await client.invoices.list({ status: "draft" })).data).toEqual([]);
  });
});

describe("environments", () => {
  it("a live key sees no sandbox subscription or purchase; live customers cannot have test clocks", async () => {
    const { client, live } = await merchant(server, "Envs");
    const { standard, once } = await catalogue(client);
    const clock = await client.testClocks.create({ frozenTime: new Date("2026-10-01T00:00:00+08:00") });
    await client.customers.create({ externalId: "v1" });
    const sub = await client.subscriptions.create({ customerExternalId: "v1", priceId: standard.id });
    const bought = await client.purchases.create({ customerExternalId: "v1", priceId: once.id });

    expect(await problemOf(live.subscriptions.retrieve(sub.id))).toEqual({
      code: "subscription_not_found",
      status: 404,
    });
    expect(await codeOf(live.subscriptions.cancel(sub.id, { at: "immediately" }))).toBe(
      "subscription_not_found",
    );
    expect(await codeOf(live.subscriptions.changePlan(sub.id, { priceId: standard.id }))).toBe(
      "subscription_not_found",
    );
    expect(await problemOf(live.purchases.retrieve(bought.id))).toEqual({
      code: "purchase_not_found",
      status: 404,
    });
    expect(await codeOf(live.invoices.retrieve(sub.latestInvoiceId!))).toBe("invoice_not_found");
    expect(await codeOf(live.subscriptions.list({ customerExternalId: "v1" }))).toBe("customer_not_found");
    // Sandbox prices are not live prices.
    await live.customers.create({ externalId: "v1" });
    expect(await codeOf(live.subscriptions.create({ customerExternalId: "v1", priceId: standard.id }))).toBe(
      "price_not_found",
    );
    expect(await problemOf(live.customers.create({ externalId: "v2", testClockId: clock.id }))).toEqual({
      code: "sandbox_only",
      status: 403,
    });
    expect(await codeOf(live.testClocks.create({ frozenTime: new Date() }))).toBe("sandbox_only");
    expect(await codeOf(live.testClocks.retrieve(clock.id))).toBe("sandbox_only");
  });
});

describe("refusals", () => {
  it("plan changes, cancels and resumes the subscription cannot take, each with its stable code", async () => {
    const { client } = await merchant(server, "Refusals");
    const { standard, pro, once, monthlyLifetime } = await catalogue(client);
    await client.customers.create({ externalId: "f1" });
    const sub = await client.subscriptions.create({ customerExternalId: "f1", priceId: standard.id });

    expect(await problemOf(client.subscriptions.changePlan(sub.id, { priceId: pro.id }))).toEqual({
      code: "subscription_not_active",
      status: 409,
    });
    expect(await problemOf(client.subscriptions.cancel(sub.id))).toEqual({
      code: "subscription_not_active",
      status: 409,
    });
    // Its invoice exists and was never paid: nothing to refund (not "no such invoice").
    expect(
      await problemOf(client.refunds.create({ invoiceId: sub.latestInvoiceId!, amount: "1.00" })),
    ).toEqual({
      code: "invoice_not_paid",
      status: 409,
    });
    await payInvoice(client, sub.latestInvoiceId!);

    expect(await problemOf(client.subscriptions.changePlan(sub.id, { priceId: once.id }))).toEqual({
      code: "price_type_mismatch",
      status: 422,
    });
    expect(await problemOf(client.subscriptions.changePlan(sub.id, { priceId: monthlyLifetime.id }))).toEqual(
      {
        code: "price_product_mismatch",
        status: 422,
      },
    );
    expect(await problemOf(client.subscriptions.changePlan(sub.id, { priceId: standard.id }))).toEqual({
      code: "same_price",
      status: 409,
    });
    // A mistyped product: 404, not a quiet "no access".
    expect(await problemOf(client.entitlements.check("f1", "prod_nope"))).toEqual({
      code: "product_not_found",
      status: 404,
    });
    expect(await problemOf(client.subscriptions.changePlan(sub.id, { priceId: "price_nope" }))).toEqual({
      code: "price_not_found",
      status: 404,
    });
    expect(await problemOf(client.subscriptions.changePlan("sub_nope", { priceId: pro.id }))).toEqual({
      code: "subscription_not_found",
      status: 404,
    });
    // An upgrade's proration invoice unpaid: no further change (its credit would be for unpaid time).
    await client.subscriptions.changePlan(sub.id, { priceId: pro.id });
    const proration = (await client.subscriptions.retrieve(sub.id)).latestInvoiceId!;
    expect(
      await problemOf(
        client.subscriptions.changePlan(sub.id, { priceId: standard.id, downgrade: "immediately" }),
      ),
    ).toEqual({
      code: "invoice_unpaid",
      status: 409,
    });
    await payInvoice(client, proration);
    expect(
      (await client.subscriptions.changePlan(sub.id, { priceId: standard.id, downgrade: "immediately" }))
        .priceId,
    ).toBe(standard.id);
    expect(await problemOf(client.subscriptions.resume(sub.id))).toEqual({
      code: "not_scheduled_to_cancel",
      status: 409,
    });
    expect(
      await problemOf(client.subscriptions.create({ customerExternalId: "f1", priceId: once.id })),
    ).toEqual({
      code: "price_type_mismatch",
      status: 422,
    });
    expect(await problemOf(client.purchases.create({ customerExternalId: "f1", priceId: pro.id }))).toEqual({
      code: "price_type_mismatch",
      status: 422,
    });

    await client.subscriptions.cancel(sub.id);
    expect(await problemOf(client.subscriptions.cancel(sub.id))).toEqual({
      code: "cancel_scheduled",
      status: 409,
    });
    await client.subscriptions.cancel(sub.id, { at: "immediately" });
    for (const refused of [
      client.subscriptions.cancel(sub.id),
      client.subscriptions.cancel(sub.id, { at: "immediately" }),
      client.subscriptions.resume(sub.id),
      client.subscriptions.changePlan(sub.id, { priceId: pro.id }),
    ]) {
      expect(await problemOf(refused)).toEqual({ code: "subscription_canceled", status: 409 });
    }
  });
});

describe("Idempotency-Key on billing commands", () => {
  it("the same key replays the stored response and creates nothing; another body is refused", async () => {
    const { client } = await merchant(server, "Idempotent billing");
    const { standard, pro, once } = await catalogue(client);
    await client.customers.create({ externalId: "i1" });
    const count = async () =>
      (await client.invoices.list({ customerExternalId: "i1", limit: 100 })).data.length;

    const sub = await client.subscriptions.create(
      { customerExternalId: "i1", priceId: standard.id },
      { idempotencyKey: "sub-1" },
    );
    const again = await client.subscriptions.create(
      { customerExternalId: "i1", priceId: standard.id },
      { idempotencyKey: "sub-1" },
    );
    expect(again).toEqual(sub);
    expect(await count()).toBe(1);
    expect(
      await problemOf(
        client.subscriptions.create(
          { customerExternalId: "i1", priceId: pro.id },
          { idempotencyKey: "sub-1" },
        ),
      ),
    ).toEqual({ code: "idempotency_key_reused", status: 409 });
    expect((await client.subscriptions.list({ customerExternalId: "i1" })).data).toHaveLength(1);

    const bought = await client.purchases.create(
      { customerExternalId: "i1", priceId: once.id },
      { idempotencyKey: "pur-1" },
    );
    expect(
      await client.purchases.create(
        { customerExternalId: "i1", priceId: once.id },
        { idempotencyKey: "pur-1" },
      ),
    ).toEqual(bought);
    expect(await count()).toBe(2);

    await payInvoice(client, sub.latestInvoiceId!);
    await payInvoice(client, bought.invoiceId);
    const upgraded = await client.subscriptions.changePlan(
      sub.id,
      { priceId: pro.id },
      { idempotencyKey: "chg-1" },
    );
    expect(
      await client.subscriptions.changePlan(sub.id, { priceId: pro.id }, { idempotencyKey: "chg-1" }),
    ).toEqual(upgraded);
    expect(await count()).toBe(3);
    expect(
      await codeOf(
        client.subscriptions.changePlan(sub.id, { priceId: standard.id }, { idempotencyKey: "chg-1" }),
      ),
    ).toBe("idempotency_key_reused");

    const canceled = await client.subscriptions.cancel(
      sub.id,
      { at: "period_end" },
      { idempotencyKey: "cxl-1" },
    );
    expect(
      await client.subscriptions.cancel(sub.id, { at: "period_end" }, { idempotencyKey: "cxl-1" }),
    ).toEqual(canceled);
    expect(
      await codeOf(client.subscriptions.cancel(sub.id, { at: "immediately" }, { idempotencyKey: "cxl-1" })),
    ).toBe("idempotency_key_reused");
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe("active");

    const refund = await client.refunds.create(
      { invoiceId: sub.latestInvoiceId!, amount: "10.00" },
      { idempotencyKey: "rfd-1" },
    );
    expect(
      await client.refunds.create(
        { invoiceId: sub.latestInvoiceId!, amount: "10.00" },
        { idempotencyKey: "rfd-1" },
      ),
    ).toEqual(refund);
    expect(
      await codeOf(
        client.refunds.create(
          { invoiceId: sub.latestInvoiceId!, amount: "11.00" },
          { idempotencyKey: "rfd-1" },
        ),
      ),
    ).toBe("idempotency_key_reused");
    const refunded = await waitFor(
      () => client.invoices.retrieve(sub.latestInvoiceId!),
      (i) => i.refunds.every((r) => r.status === "succeeded"),
    );
    expect(refunded.refunds).toHaveLength(1);
    expect(refunded.refundedAmount).toBe("10.00");

    const purchaseRefund = await client.purchases.refund(bought.id, {}, { idempotencyKey: "prf-1" });
    expect(await client.purchases.refund(bought.id, {}, { idempotencyKey: "prf-1" })).toEqual(purchaseRefund);
    expect((await client.invoices.retrieve(bought.invoiceId)).refunds).toHaveLength(1);
  });
});

describe("the ledger after these calls", () => {
  it("every record balances and the audit finds nothing", async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    stopped = true;
    await expectLedgerAudited(server);
  });
});
