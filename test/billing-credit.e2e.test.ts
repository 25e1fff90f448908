import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monthlyPeriodEnd, planChangeProration } from "../domain/billing/index.js";
import {
  balances,
  catalogue,
  day,
  expectLedgerAudited,
  merchant,
  payInvoice,
  type TestServer,
} from "./support/billingFlow.js";
import { startTestServer } from "./support/server.js";

/**
 * Account credit (unused time after an immediate downgrade) lives on the subscription and is taken
 * off its next invoices. A subscription that ends before using it up must not strand it: the credit
 * moves to the customer's wallet in the record that ends the subscription.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ collect: true });
});

afterAll(async () => {
  await server.remove();
});

const yuan = (fen: bigint) => `${fen / 100n}.${(fen % 100n).toString().padStart(2, "0")}`;
const start = Date.parse("2026-03-01T00:00:00+08:00");
const changeAt = start + 15 * day;
const creditFen = -planChangeProration({
  oldAmountFen: 29_900n,
  newAmountFen: 14_900n,
  periodStart: start,
  periodEnd: monthlyPeriodEnd(start, 0),
  at: changeAt,
}).netFen;

/** A customer on Pro, paid, downgraded to Standard at once halfway through: holding `creditFen`. */
async function downgradedWithCredit(
  client: Awaited<ReturnType<typeof merchant>>["client"],
  externalId: string,
) {
  const { standard, pro } = await catalogue(client);
  const clock = await client.testClocks.create({ frozenTime: new Date(start) });
  const customer = await client.customers.create({ externalId, testClockId: clock.id });
  const sub = await client.subscriptions.create({ customerExternalId: externalId, priceId: pro.id });
  await payInvoice(client, sub.latestInvoiceId!);
  await client.testClocks.advance(clock.id, { frozenTime: new Date(changeAt) });
  const changed = await client.subscriptions.changePlan(sub.id, {
    priceId: standard.id,
    downgrade: "immediately",
  });
  expect(changed.credit).toBe(yuan(creditFen));
  return { customer, clock, sub };
}

async function customerAccounts(customerId: string) {
  const sums = await balances(server);
  return {
    accountCredit: sums.get(`test:customer:${customerId}:account_credit`) ?? 0n,
    wallet: sums.get(`test:customer:${customerId}:wallet_available`) ?? 0n,
  };
}

describe("credit held by a subscription that ends", () => {
  it("moves to the customer's wallet when the subscription is canceled at once", async () => {
    const { client } = await merchant(server, "Credit on cancel");
    const { customer, sub } = await downgradedWithCredit(client, "c1");
    expect(await customerAccounts(customer.id)).toEqual({
      accountCredit: creditFen * 10_000n,
      wallet: 0n,
    });

    const canceled = await client.subscriptions.cancel(sub.id, { at: "immediately" });
    expect(canceled).toMatchObject({ status: "canceled", credit: "0.00" });

    const wallet = await client.wallets.retrieve("c1");
    expect(wallet).toMatchObject({ balance: yuan(creditFen), available: yuan(creditFen) });
    const [moved] = (await client.wallets.transactions("c1")).data;
    expect(moved).toMatchObject({
      type: "account_credit",
      amount: yuan(creditFen),
      description: `account credit left on subscription ${sub.id}`,
    });
    expect(await customerAccounts(customer.id)).toEqual({ accountCredit: 0n, wallet: creditFen * 10_000n });

    // The credit is spendable like any wallet balance.
    await client.wallets.debit("c1", { amount: yuan(creditFen) });
    expect((await client.wallets.retrieve("c1")).available).toBe("0.00");
  });

  it("moves to the wallet when a cancel scheduled for the period end takes effect", async () => {
    const { client } = await merchant(server, "Credit at period end");
    const { customer, clock, sub } = await downgradedWithCredit(client, "c2");
    await client.subscriptions.cancel(sub.id, { at: "period_end" });
    // The period ends before any renewal could use the credit.
    await client.testClocks.advance(clock.id, { frozenTime: new Date(monthlyPeriodEnd(start, 0) + 1000) });

    expect(await client.subscriptions.retrieve(sub.id)).toMatchObject({ status: "canceled", credit: "0.00" });
    expect((await client.wallets.retrieve("c2")).available).toBe(yuan(creditFen));
    expect(await customerAccounts(customer.id)).toEqual({ accountCredit: 0n, wallet: creditFen * 10_000n });
  });

  it("moves nothing when the subscription holds no credit", async () => {
    const { client } = await merchant(server, "No credit");
    const { standard } = await catalogue(client);
    await client.customers.create({ externalId: "c3" });
    const sub = await client.subscriptions.create({ customerExternalId: "c3", priceId: standard.id });
    await payInvoice(client, sub.latestInvoiceId!);
    await client.subscriptions.cancel(sub.id, { at: "immediately" });
    expect((await client.wallets.retrieve("c3")).balance).toBe("0.00");
    expect((await client.wallets.transactions("c3")).data).toEqual([]);
  });

  it("survives a restart, and the audit replays the moves", async () => {
    const dataDir = server.dataDir;
    await server.stop();
    server = await startTestServer({ collect: true, dataDir });
    const { client } = await merchant(server, "After restart");
    await client.customers.create({ externalId: "probe" });
    // The earlier merchants' wallets are read back from the ledger.
    const sums = await balances(server);
    const moved = [...sums].filter(([account]) => account.endsWith(":account_credit"));
    expect(moved.length).toBeGreaterThanOrEqual(2);
    for (const [, amount] of moved) expect(amount).toBe(0n);
    await expectLedgerAudited(server);
    server = await startTestServer({ collect: true, dataDir });
  });
});
