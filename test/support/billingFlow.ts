import BuffMoneyClient, { BuffMoneyError, type Invoice } from "@buffmoney/sdk";
import { expect } from "vitest";
import { expectAuditClean } from "./auditClean.js";
import { adminToken, type startTestServer } from "./server.js";

/** Helpers the billing e2e tests share: merchants, a catalogue, paying, the ledger and the audit. */
export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

export const day = 24 * 3600 * 1000;

export async function merchant(server: TestServer, name: string) {
  const created = await server.admin.merchants.create({ name });
  const client = (apiKey: string) => new BuffMoneyClient({ apiKey, baseUrl: server.url, maxRetries: 0 });
  return { id: created.id, client: client(created.apiKeys.test), live: client(created.apiKeys.live) };
}

export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "none";
  } catch (error) {
    if (error instanceof BuffMoneyError) return error.code;
    throw error;
  }
}

export async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof BuffMoneyError) return error.status;
    throw error;
  }
}

export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A product with two monthly prices, another product with a one-time price (7-day refunds). */
export async function catalogue(client: BuffMoneyClient) {
  const product = await client.products.create({ name: "AI Studio", nameZh: "AI 工作室" });
  const standard = await client.prices.create({
    productId: product.id,
    type: "recurring",
    interval: "month",
    unitAmount: "149.00",
    nickname: "Standard",
  });
  const pro = await client.prices.create({
    productId: product.id,
    type: "recurring",
    interval: "month",
    unitAmount: "299.00",
    nickname: "Pro",
  });
  const lifetime = await client.products.create({ name: "Lifetime access", nameZh: "终身会员" });
  const once = await client.prices.create({
    productId: lifetime.id,
    type: "one_time",
    unitAmount: "99.00",
    refundWindowDays: 7,
  });
  const monthlyLifetime = await client.prices.create({
    productId: lifetime.id,
    type: "recurring",
    interval: "month",
    unitAmount: "9.00",
  });
  return { product, standard, pro, lifetime, once, monthlyLifetime };
}

/** Pays an invoice the way a buyer does: an order through `channel`, paid at the sandbox simulator. */
export async function payInvoice(
  client: BuffMoneyClient,
  invoiceId: string,
  channel: "wechat_native" | "alipay_page" = "wechat_native",
): Promise<Invoice> {
  await client.invoices.pay(invoiceId, { channel });
  const paid = await client.sandbox.simulatePayment(invoiceId, { outcome: "succeeded" });
  expect(paid.status).toBe("paid");
  return paid;
}

/** The simulator's control API, as the tests drive the buyer and the channel directly. */
export async function control(
  server: TestServer,
  provider: "wechatpay" | "alipay",
  path: string,
  body: unknown = {},
) {
  const response = await fetch(`${server.url}/sandbox/${provider}/__sim${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminToken}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function callbacksDelivered(server: TestServer) {
  const sims = server.collection?.simulators;
  await Promise.all([sims?.wechatpay.delivery.idle(), sims?.alipay.delivery.idle()]);
}

/** Ledger balances per account (micros): a fold of every posting. */
export async function balances(server: TestServer): Promise<Map<string, bigint>> {
  const sums = new Map<string, bigint>();
  for await (const record of server.runtime.log.scan(1)) {
    for (const p of record.postings)
      sums.set(p.account, (sums.get(p.account) ?? 0n) + BigInt(p.amountMicros));
  }
  return sums;
}

/** A merchant's account balance in fen. */
export async function merchantFen(server: TestServer, merchantId: string, account: string): Promise<bigint> {
  return ((await balances(server)).get(`test:merchant:${merchantId}:${account}`) ?? 0n) / 10_000n;
}

/** Every record's postings sum to zero, and the audit's replay of the data directory finds nothing. */
export async function expectLedgerAudited(server: TestServer): Promise<void> {
  for await (const record of server.runtime.log.scan(1)) {
    const sums = new Map<string, bigint>();
    for (const p of record.postings)
      sums.set(p.currency, (sums.get(p.currency) ?? 0n) + BigInt(p.amountMicros));
    for (const [currency, sum] of sums)
      expect({ seq: record.seq, currency, sum }).toEqual({ seq: record.seq, currency, sum: 0n });
  }
  await server.stop();
  await expectAuditClean(server.dataDir);
}
