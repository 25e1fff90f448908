import BuffMoneyClient from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AuditLedger, exportCsv, resolveAsOf } from "../snapshots/audit/index.js";
import { expectAuditClean } from "./support/auditClean.js";
import { tempDir } from "./support/tempDir.js";
import { adminToken, startTestServer } from "./support/server.js";

/**
 * The channel confirms (validly signed) that the buyer paid another amount than the order asks. The
 * money it took is posted to the merchant's unapplied payments once, whatever repeats it; the wallet
 * is not credited; the order is closed, so no timer keeps asking the channel; the money is refundable.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
/** The first test's held money, found again in the audit export. */
let heldByCallback: { merchantId: string; transactionId: string } | undefined;

beforeAll(async () => {
  // Timers fire only when a test sweeps; no reconcile timers, so the expiry is the order's only query.
  server = await startTestServer({ collect: true, startTimers: false, collection: { reconcileAfterMs: 0 } });
});

afterAll(async () => {
  await server.remove();
});

async function merchant(name: string) {
  const created = await server.admin.merchants.create({ name });
  const client = new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
  await client.customers.create({ externalId: "buyer" });
  return { id: created.id, client };
}

/** The buyer pays `amountFen` at the WeChat Pay simulator for an order of another amount. */
async function payAnotherAmount(
  order: { paymentId: string },
  amountFen: number,
  callback: Record<string, unknown>,
) {
  const response = await fetch(`${server.url}/sandbox/wechatpay/__sim/orders/${order.paymentId}/pay`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ amountFen, callback }),
  });
  expect(response.status).toBe(200);
}

const callbacksDelivered = () => server.collection?.simulators.wechatpay.delivery.idle();

/** Every posting of the ledger: each record must balance per currency. */
async function postings() {
  const all: Array<{ seq: number; account: string; amountMicros: bigint }> = [];
  for await (const record of server.runtime.log.scan(1)) {
    const sums = new Map<string, bigint>();
    for (const p of record.postings) {
      sums.set(p.currency, (sums.get(p.currency) ?? 0n) + BigInt(p.amountMicros));
      all.push({ seq: record.seq, account: p.account, amountMicros: BigInt(p.amountMicros) });
    }
    for (const sum of sums.values()) expect(sum).toBe(0n);
  }
  return all;
}

const balanceOf = (rows: Awaited<ReturnType<typeof postings>>, account: string) =>
  rows.filter((p) => p.account === account).reduce((sum, p) => sum + p.amountMicros, 0n);

/** The durable payment timers of one order still in the index. */
async function timersOf(paymentId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const [key] of server.runtime.log.db.iterator({ gte: "x!pt!", lt: "x!pt!~" })) {
    if (key.includes(paymentId)) keys.push(key);
  }
  return keys;
}

describe("a channel success for another amount than the order's", () => {
  it("through the callback: held in unapplied payments once however often it repeats, never credited; the order closes", async () => {
    const { id, client } = await merchant("Wrong amount by callback");
    const top = await client.wallets.topUp("buyer", { amount: "20.00", channel: "wechat_native" });
    // The callback arrives, then twice more freshly signed, then once replayed byte for byte.
    await payAnotherAmount(top, 1_234, { duplicates: 2, replay: true });
    await callbacksDelivered();

    const invoice = await client.invoices.retrieve(top.invoiceId);
    expect(invoice).toMatchObject({
      status: "void",
      voidReason: "amount_mismatch",
      amount: "20.00",
      payment: {
        status: "closed",
        failure: { code: "amount_mismatch" },
        transactionId: null,
        unappliedAmount: "12.34",
        flags: [{ reason: "amount_mismatch", amount: "12.34", unapplied: true }],
      },
    });
    expect((await client.wallets.retrieve("buyer")).balance).toBe("0.00");
    expect(await timersOf(top.paymentId)).toEqual([]);

    const rows = await postings();
    const unapplied = `test:merchant:${id}:unapplied_payments`;
    expect(balanceOf(rows, unapplied)).toBe(12_340_000n);
    expect(rows.filter((p) => p.account === unapplied)).toHaveLength(1);
    expect(rows.some((p) => p.account.includes(":customer:"))).toBe(false);
    heldByCallback = { merchantId: id, transactionId: invoice.payment?.flags[0]?.transactionId ?? "" };
    expect((await client.balance.retrieve()).balances[0]).toMatchObject({
      unappliedPayments: "12.34",
      payable: "0.00",
    });

    // Asking the channel again (an operator's reconcile) finds the same transaction: nothing more.
    await server.runtime.payments.reconcile(top.paymentId);
    expect(await postings()).toHaveLength(rows.length);
  });

  it("found by the expiry's query when the callback is lost: held once, closed, and the timer stops asking", async () => {
    const { id, client } = await merchant("Wrong amount by query");
    const top = await client.wallets.topUp("buyer", { amount: "50.00", channel: "wechat_native" });
    await payAnotherAmount(top, 4_999, { hold: true });
    const gateway = server.collection?.gateway;
    if (!gateway) throw new Error("no collection");
    const queries = vi.spyOn(gateway, "queryOrder");
    try {
      const expiresAt = Date.parse(top.expiresAt);
      await server.runtime.timers.sweep(expiresAt + 1);
      expect(queries).toHaveBeenCalledTimes(1);
      expect(await timersOf(top.paymentId)).toEqual([]);
      const invoice = await client.invoices.retrieve(top.invoiceId);
      expect(invoice.payment).toMatchObject({
        status: "closed",
        failure: { code: "amount_mismatch" },
        unappliedAmount: "49.99",
      });

      // Sweeps long after (a restart's catch-up, the periodic sweep) ask the channel nothing more.
      for (const laterMs of [60_000, 3_600_000, 86_400_000])
        await server.runtime.timers.sweep(expiresAt + laterMs);
      expect(queries).toHaveBeenCalledTimes(1);
    } finally {
      queries.mockRestore();
    }

    // The lost callback finally arrives: already held, nothing more is posted.
    const before = await postings();
    await fetch(`${server.url}/sandbox/wechatpay/__sim/callbacks/release`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ order: "fifo" }),
    });
    await callbacksDelivered();
    const after = await postings();
    expect(after).toHaveLength(before.length);
    expect(balanceOf(after, `test:merchant:${id}:unapplied_payments`)).toBe(49_990_000n);
    expect((await client.wallets.retrieve("buyer")).balance).toBe("0.00");
  });

  it("is refunded from unapplied payments through the channel, up to what it took", async () => {
    const { id, client } = await merchant("Wrong amount refunded");
    const top = await client.wallets.topUp("buyer", { amount: "20.00", channel: "wechat_native" });
    await payAnotherAmount(top, 800, {});
    await callbacksDelivered();

    await expect(client.refunds.create({ invoiceId: top.invoiceId, amount: "8.01" })).rejects.toMatchObject({
      code: "refund_exceeds_payment",
    });
    const refund = await client.refunds.create({
      invoiceId: top.invoiceId,
      amount: "8.00",
      reason: "wrong amount",
    });
    expect(refund).toMatchObject({ status: "pending", amount: "8.00" });
    await callbacksDelivered();
    const deadline = Date.now() + 5_000;
    let invoice = await client.invoices.retrieve(top.invoiceId);
    while (invoice.refunds.some((r) => r.status === "pending") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      invoice = await client.invoices.retrieve(top.invoiceId);
    }
    expect(invoice.refunds).toEqual([expect.objectContaining({ id: refund.id, status: "succeeded" })]);
    expect(invoice.payment).toMatchObject({
      status: "closed",
      refundedAmount: "8.00",
      unappliedAmount: "0.00",
    });
    const rows = await postings();
    expect(balanceOf(rows, `test:merchant:${id}:unapplied_payments`)).toBe(0n);
    expect(balanceOf(rows, `test:merchant:${id}:payable`)).toBe(0n);
    expect((await client.wallets.retrieve("buyer")).balance).toBe("0.00");
  });

  it("of a purchase invoice: held, the attempt closed, the invoice still open for an attempt that pays it right", async () => {
    const { id, client } = await merchant("Wrong amount for a purchase");
    const product = await client.products.create({ name: "Lifetime access", nameZh: "终身会员" });
    const price = await client.prices.create({
      productId: product.id,
      type: "one_time",
      unitAmount: "99.00",
    });
    const purchase = await client.purchases.create({ customerExternalId: "buyer", priceId: price.id });
    const attempt = await client.invoices.pay(purchase.invoiceId, { channel: "wechat_native" });
    await payAnotherAmount(attempt, 9_800, {});
    await callbacksDelivered();

    let invoice = await client.invoices.retrieve(purchase.invoiceId);
    expect(invoice).toMatchObject({
      status: "open",
      payment: { id: attempt.paymentId, status: "closed", unappliedAmount: "98.00" },
    });
    expect((await client.purchases.retrieve(purchase.id)).status).toBe("pending");
    expect(await timersOf(attempt.paymentId)).toEqual([]);

    const retry = await client.invoices.pay(purchase.invoiceId, { channel: "wechat_native" });
    expect(retry.paymentId).not.toBe(attempt.paymentId);
    invoice = await client.sandbox.simulatePayment(purchase.invoiceId, { outcome: "succeeded" });
    expect(invoice).toMatchObject({
      status: "paid",
      payment: { status: "succeeded", unappliedAmount: "0.00" },
    });
    const rows = await postings();
    expect(balanceOf(rows, `test:merchant:${id}:unapplied_payments`)).toBe(98_000_000n);
    expect(balanceOf(rows, `test:merchant:${id}:payable`)).toBe(97_420_000n);
  });

  it("leaves a ledger the audit tool finds clean, whose export shows the held money with its transaction", async () => {
    await server.stop();
    await expectAuditClean(server.dataDir);

    if (!heldByCallback) throw new Error("the first test did not run");
    const out = await tempDir();
    const ledger = await AuditLedger.open(server.dataDir);
    try {
      const file = join(out.path, "unapplied.csv");
      const account = `test:merchant:${heldByCallback.merchantId}:unapplied_payments`;
      await exportCsv(ledger, file, await resolveAsOf(ledger, "head"), { account });
      const rows = (await readFile(file, "utf8")).trim().split("\r\n").slice(1);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.split(",")).toEqual(
        expect.arrayContaining(["payment.flagged", account, "12.34", heldByCallback.transactionId]),
      );
    } finally {
      await ledger.close();
      await out.remove();
    }
  });
});
