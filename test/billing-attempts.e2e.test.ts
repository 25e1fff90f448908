import type { InvoicePaymentStart } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callbacksDelivered,
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

/** Payment attempts of billing invoices: a second attempt, money that comes late, invoices voided under a live order. */
let dir: Awaited<ReturnType<typeof tempDir>>;
let server: TestServer;
let stopped = false;

beforeAll(async () => {
  dir = await tempDir("buffmoney-billing-attempts-");
  server = await startTestServer({ collect: true, dataDir: dir.path });
});

afterAll(async () => {
  if (!stopped) await server.stop();
  await dir.remove();
});

/** The buyer pays an order at the simulator directly (the checkout page may still be open). */
async function buyerPays(attempt: InvoicePaymentStart) {
  const provider = attempt.channel.startsWith("wechat_") ? "wechatpay" : "alipay";
  if (attempt.action?.type === "alipay_form") await (await fetch(attempt.action.url)).text();
  const paid = await control(server, provider, `/orders/${attempt.paymentId}/pay`, { callback: {} });
  expect(paid.status).toBe(200);
  await callbacksDelivered(server);
}

/** Facts of one type in the whole log. */
async function factsOf(type: string, match: (fact: Record<string, unknown>) => boolean = () => true) {
  const found = [];
  for await (const record of server.runtime.log.scan(1))
    for (const fact of record.facts) if (fact.type === type && match(fact as never)) found.push(fact);
  return found;
}

describe("a second payment attempt", () => {
  it("opens one channel order however many pay requests arrive at once", async () => {
    const { client } = await merchant(server, "Concurrent pays");
    const { standard } = await catalogue(client);
    await client.customers.create({ externalId: "c1" });
    const sub = await client.subscriptions.create({ customerExternalId: "c1", priceId: standard.id });
    const invoiceId = sub.latestInvoiceId!;
    const attempts = await Promise.all(
      Array.from({ length: 6 }, () =>
        client.invoices.pay(invoiceId, { channel: "wechat_native" }).then(
          (attempt) => attempt.paymentId,
          (error: unknown) => (error as { code?: string }).code ?? "other",
        ),
      ),
    );
    expect(new Set(attempts).size).toBe(1);
    expect(attempts[0]).toMatch(/^pay_/);
    expect(await factsOf("payment.created", (fact) => fact.invoiceId === invoiceId)).toHaveLength(1);
  });

  it("an expired order leaves the invoice open; another channel pays it; one at a time", async () => {
    const { client } = await merchant(server, "Second attempts");
    const { product, standard } = await catalogue(client);
    await client.customers.create({ externalId: "a1" });
    const sub = await client.subscriptions.create({ customerExternalId: "a1", priceId: standard.id });
    const invoiceId = sub.latestInvoiceId!;
    // Nothing to simulate before a payment is started: the answer says how to start one.
    const early = await client.sandbox
      .simulatePayment(invoiceId, { outcome: "succeeded" })
      .catch((e: unknown) => e);
    expect(early).toMatchObject({ code: "invoice_not_found", message: expect.stringContaining("/payments") });

    const first = await client.invoices.pay(invoiceId, { channel: "wechat_native" });
    // The same channel while it is payable is the same attempt; another channel must wait.
    expect((await client.invoices.pay(invoiceId, { channel: "wechat_native" })).paymentId).toBe(
      first.paymentId,
    );
    expect(await codeOf(client.invoices.pay(invoiceId, { channel: "alipay_page" }))).toBe(
      "payment_in_progress",
    );

    const expired = await client.sandbox.simulatePayment(invoiceId, { outcome: "expired" });
    expect(expired).toMatchObject({ status: "open", payment: { id: first.paymentId, status: "closed" } });
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe("incomplete");

    const second = await client.invoices.pay(invoiceId, { channel: "alipay_page" });
    expect(second.paymentId).not.toBe(first.paymentId);
    const paid = await client.sandbox.simulatePayment(invoiceId, { outcome: "succeeded" });
    expect(paid).toMatchObject({ status: "paid", payment: { id: second.paymentId, status: "succeeded" } });
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe("active");
    expect((await client.entitlements.check("a1", product.id)).hasAccess).toBe(true);
    expect(await codeOf(client.invoices.pay(invoiceId, { channel: "wechat_native" }))).toBe(
      "invoice_not_open",
    );
  });

  it("money for an expired attempt after another paid the invoice is kept unapplied, never applied twice", async () => {
    const { id, client } = await merchant(server, "Late money on billing");
    const { standard } = await catalogue(client);
    await client.customers.create({ externalId: "a2" });
    const sub = await client.subscriptions.create({ customerExternalId: "a2", priceId: standard.id });
    const invoiceId = sub.latestInvoiceId!;

    const first = await client.invoices.pay(invoiceId, { channel: "alipay_page" });
    await server.runtime.timers.sweep(Date.parse(first.expiresAt) + 1);
    expect((await client.invoices.retrieve(invoiceId)).payment?.status).toBe("closed");
    await payInvoice(client, invoiceId, "wechat_native");
    const collections = await merchantFen(server, id, "invoice_collections");

    // The buyer still had Alipay's cashier open and pays the first order too.
    await buyerPays(first);
    const late = await waitFor(
      () => factsOf("payment.paid_after_close", (f) => f.paymentId === first.paymentId),
      (found) => found.length === 1,
    );
    expect(late).toHaveLength(1);
    expect(await merchantFen(server, id, "unapplied_payments")).toBe(14_900n);
    expect(await merchantFen(server, id, "invoice_collections")).toBe(collections);
    expect(await factsOf("invoice.paid", (f) => f.invoiceId === invoiceId)).toHaveLength(1);
    const invoice = await client.invoices.retrieve(invoiceId);
    expect(invoice).toMatchObject({ status: "paid", payment: { status: "succeeded" } });
    expect((await client.subscriptions.retrieve(sub.id)).status).toBe("active");

    // The late money is refunded by naming its payment; the applied payment and revenue stay.
    const refund = await client.refunds.create({
      invoiceId,
      paymentId: first.paymentId,
      amount: "149.00",
      reason: "paid twice",
    });
    expect(refund).toMatchObject({ paymentId: first.paymentId, amount: "149.00" });
    await waitFor(
      () => factsOf("payment.refund_succeeded", (f) => f.paymentId === first.paymentId),
      (found) => found.length === 1,
    );
    expect(await merchantFen(server, id, "unapplied_payments")).toBe(0n);
    expect(await merchantFen(server, id, "invoice_collections")).toBe(collections);
    expect((await client.invoices.retrieve(invoiceId)).refundedAmount).toBe("0.00");
    expect(
      await codeOf(
        client.refunds.create({ invoiceId, paymentId: "pay_00000000000000000000", amount: "1.00" }),
      ),
    ).toBe("invoice_not_found");
  });
});

describe("an invoice voided under a live order", () => {
  it("canceling a subscription immediately voids its invoice and closes its order at the channel", async () => {
    const { id, client } = await merchant(server, "Cancel under payment");
    const { product, standard } = await catalogue(client);
    await client.customers.create({ externalId: "c1" });
    const sub = await client.subscriptions.create({ customerExternalId: "c1", priceId: standard.id });
    const invoiceId = sub.latestInvoiceId!;
    const attempt = await client.invoices.pay(invoiceId, { channel: "wechat_native" });

    const canceled = await client.subscriptions.cancel(sub.id, { at: "immediately" });
    expect(canceled).toMatchObject({ status: "canceled", cancelReason: "requested" });
    expect(await client.invoices.retrieve(invoiceId)).toMatchObject({
      status: "void",
      voidReason: "subscription_canceled",
    });
    expect(await codeOf(client.subscriptions.cancel(sub.id, { at: "immediately" }))).toBe(
      "subscription_canceled",
    );

    // The order is closed at the channel too: the buyer can no longer pay it.
    const closed = await waitFor(
      () => client.invoices.retrieve(invoiceId),
      (i) => i.payment?.status === "closed",
    );
    expect(closed.payment?.failure).toMatchObject({ code: "invoice_voided" });
    const refused = await control(server, "wechatpay", `/orders/${attempt.paymentId}/pay`, { callback: {} });
    expect(refused.status).not.toBe(200);
    await callbacksDelivered(server);
    expect((await client.entitlements.check("c1", product.id)).hasAccess).toBe(false);
    expect(await merchantFen(server, id, "unapplied_payments")).toBe(0n);
    expect(await merchantFen(server, id, "billed_revenue")).toBe(0n);
  });

  it("an unpaid purchase expires on its test clock: canceled, invoice voided, its live order closed", async () => {
    const { id, client } = await merchant(server, "Purchase expiry");
    const { lifetime, once } = await catalogue(client);
    const start = Date.parse("2026-07-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "e1", testClockId: clock.id });
    const never = await client.purchases.create({ customerExternalId: "e1", priceId: once.id });
    const late = await client.purchases.create({ customerExternalId: "e1", priceId: once.id });
    const attempt = await client.invoices.pay(late.invoiceId, { channel: "wechat_native" });

    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 22 * 3600_000) });
    expect((await client.purchases.retrieve(never.id)).status).toBe("pending");
    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + day) });
    for (const purchase of [never, late]) {
      expect(await client.purchases.retrieve(purchase.id)).toMatchObject({ status: "canceled" });
      expect(await client.invoices.retrieve(purchase.invoiceId)).toMatchObject({
        status: "void",
        voidReason: "expired",
      });
    }
    expect(await codeOf(client.invoices.pay(never.invoiceId, { channel: "wechat_native" }))).toBe(
      "invoice_not_open",
    );

    await waitFor(
      () => client.invoices.retrieve(late.invoiceId),
      (i) => i.payment?.status === "closed",
    );
    const refused = await control(server, "wechatpay", `/orders/${attempt.paymentId}/pay`, { callback: {} });
    expect(refused.status).not.toBe(200);
    expect((await client.purchases.retrieve(late.id)).status).toBe("canceled");
    expect((await client.entitlements.check("e1", lifetime.id)).hasAccess).toBe(false);
    expect(await merchantFen(server, id, "unapplied_payments")).toBe(0n);
    expect(await codeOf(client.purchases.refund(late.id))).toBe("purchase_not_paid");
  });
});

describe("the ledger after these attempts", () => {
  it("every record balances and the audit finds nothing", async () => {
    stopped = true;
    await expectLedgerAudited(server);
  });
});
