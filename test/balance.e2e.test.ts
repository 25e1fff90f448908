import BuffMoneyClient, { type Balance } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatMicros } from "../domain/money.js";
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
  const client = new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
  return { id: created.id, key: created.apiKeys.test, live: created.apiKeys.live, client };
}

/** The merchant's accounts as the auditor sees them: every posting of the ledger, folded. */
async function foldedFromLedger(merchantId: string): Promise<Balance["balances"]> {
  const sums = new Map<string, Map<string, bigint>>();
  const prefix = `test:merchant:${merchantId}:`;
  for await (const record of server.runtime.log.scan(1)) {
    for (const p of record.postings) {
      if (!p.account.startsWith(prefix)) continue;
      const byAccount = sums.get(p.currency) ?? new Map<string, bigint>();
      const account = p.account.slice(prefix.length);
      byAccount.set(account, (byAccount.get(account) ?? 0n) + BigInt(p.amountMicros));
      sums.set(p.currency, byAccount);
    }
  }
  return [...sums].map(([currency, byAccount]) => {
    const amount = (account: string) => formatMicros(byAccount.get(account) ?? 0n);
    return {
      currency,
      payable: amount("payable"),
      unappliedPayments: amount("unapplied_payments"),
      prepaidCreditSold: amount("prepaid_credit_sold"),
      usageRevenue: amount("usage_revenue"),
      promotions: amount("promotions"),
    };
  });
}

describe("GET /v1/balance", () => {
  it("is the fold of the merchant's postings: payable net of fees, credit sold, usage revenue, promotions", async () => {
    const { id, client } = await merchant("Balance");
    const other = await merchant("Someone else");
    expect(await client.balance.retrieve()).toMatchObject({
      object: "balance",
      environment: "test",
      balances: [],
    });

    await client.customers.create({ externalId: "u" });
    const top = await client.wallets.topUp("u", { amount: "100.00", channel: "wechat_native" });
    await client.sandbox.simulatePayment(top.invoiceId, { outcome: "succeeded" });
    await client.wallets.grant("u", { amount: "5.00", reason: "welcome" });
    await client.wallets.debit("u", { amount: "2.50", description: "usage" });
    await client.refunds.create({ invoiceId: top.invoiceId, amount: "10.00" });
    // The payable moves when the channel reports the refund paid out.
    for (let i = 0; (await client.invoices.retrieve(top.invoiceId)).refunds[0]?.status === "pending"; i++) {
      if (i > 200) throw new Error("the refund did not settle");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await other.client.customers.create({ externalId: "x" });
    await other.client.wallets.grant("x", { amount: "1.00", reason: "not ours" });

    const balance = await client.balance.retrieve();
    expect(balance.balances).toEqual([
      {
        currency: "CNY",
        payable: "88.40",
        unappliedPayments: "0.00",
        prepaidCreditSold: "-90.00",
        usageRevenue: "2.50",
        promotions: "-5.00",
      },
    ]);
    expect(balance.balances).toEqual(await foldedFromLedger(id));
    expect(balance.ledgerSequence).toBe(server.runtime.log.durableHead);
    expect((await other.client.balance.retrieve()).balances).toEqual(await foldedFromLedger(other.id));
    const live = new BuffMoneyClient({ apiKey: (await merchant("Live")).live, baseUrl: server.url });
    expect(await live.balance.retrieve()).toMatchObject({ environment: "live", balances: [] });
  });

  it("follows new records as they are written, and is rebuilt from the log after a restart", async () => {
    const { id, key, client } = await merchant("Restarted");
    await client.customers.create({ externalId: "v" });
    await client.wallets.grant("v", { amount: "50.00", reason: "start" });
    const before = await client.balance.retrieve();
    for (let i = 0; i < 20; i++) await client.wallets.debit("v", { amount: "0.10" });
    const after = await client.balance.retrieve();
    expect(after.balances[0]).toMatchObject({ usageRevenue: "2.00", promotions: "-50.00" });
    expect(after.ledgerSequence).toBe(before.ledgerSequence + 20);

    await server.stop();
    server = await startTestServer({ dataDir: server.dataDir, collect: true });
    const reopened = new BuffMoneyClient({ apiKey: key, baseUrl: server.url, maxRetries: 0 });
    const rebuilt = await reopened.balance.retrieve();
    expect(rebuilt).toEqual(after);
    expect(rebuilt.balances).toEqual(await foldedFromLedger(id));
  });
});
