import BuffMoneyClient, { type Invoice, type Subscription } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monthlyPeriodEnd, planChangeProration } from "../domain/billing/index.js";
import { formatInvoiceNumber } from "../machines/invoiceNumbers.js";
import { expectAuditClean } from "./support/auditClean.js";
import { catalogue } from "./support/billingFlow.js";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/**
 * A year of one subscription on a sandbox test clock, checked line by line: every invoice against
 * amounts computed here from the prices, the proration rule and the usage sent; the subscription and
 * the entitlement after each step; the ledger folded from every posting after each payment; and the
 * audit's verify over the data directory at the end.
 */
let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let stopped = false;

beforeAll(async () => {
  dir = await tempDir("buffmoney-billing-year-");
  server = await startTestServer({ collect: true, dataDir: dir.path });
});

afterAll(async () => {
  if (!stopped) await server.stop();
  await dir.remove();
});

const day = 24 * 3600 * 1000;
const fenOf = (yuan: string) => {
  const negative = yuan.startsWith("-");
  const [whole = "0", fraction = ""] = yuan.replace("-", "").split(".");
  const fen = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0"));
  return negative ? -fen : fen;
};
const micros = (fen: bigint) => fen * 10_000n;
/** tokens_output at ¥0.0002 a token: 200 micros each; an invoice line rounds the sum half up to the fen. */
const tokenMicros = 200n;
const usageFen = (tokens: bigint) => (tokens * tokenMicros + 5_000n) / 10_000n;

type Kind = "subscription" | "proration" | "usage";
type Lines = Array<{ kind: Kind; amountFen: bigint }>;

describe("a year of one subscription on a test clock", () => {
  it("bills twelve months with an upgrade, a downgrade, a lapse and a cancel, invoices and ledger exact", async () => {
    const created = await server.admin.merchants.create({ name: "A year of AI Studio" });
    const merchantId = created.id;
    const client = new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: server.url, maxRetries: 0 });

    const { product, standard, pro } = await catalogue(client);
    const card = await client.rateCards.create({
      name: "tokens",
      currency: "CNY",
      prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.0002" }],
    });

    const anchor = Date.parse("2027-01-15T10:00:00+08:00");
    const periodEnd = (index: number) => monthlyPeriodEnd(anchor, index);
    const clock = await client.testClocks.create({ frozenTime: new Date(anchor) });
    const customer = await client.customers.create({ externalId: "year", testClockId: clock.id });
    await client.customers.update("year", { rateCardId: card.id, billingMode: "postpaid" });

    // What the ledger must say, kept as the story goes.
    /** Each invoice's lines, in number order. */
    const expected: Lines[] = [];
    let paidTotalFen = 0n;
    let accruedMicros = 0n;
    let billedUsageFen = 0n;
    let unbilledTokens = 0n;
    let events = 0;

    const account = (owner: "customer" | "merchant", purpose: string) =>
      `test:${owner}:${owner === "customer" ? customer.id : merchantId}:${purpose}`;

    /** Folds every posting of the log; every record must balance per currency. */
    async function ledger(): Promise<(owner: "customer" | "merchant", purpose: string) => bigint> {
      const sums = new Map<string, bigint>();
      for await (const record of server.runtime.log.scan(1)) {
        const perCurrency = new Map<string, bigint>();
        for (const p of record.postings) {
          sums.set(p.account, (sums.get(p.account) ?? 0n) + BigInt(p.amountMicros));
          perCurrency.set(p.currency, (perCurrency.get(p.currency) ?? 0n) + BigInt(p.amountMicros));
        }
        for (const [currency, sum] of perCurrency) {
          expect(sum, `record ${record.seq} ${currency}`).toBe(0n);
        }
      }
      return (owner, purpose) => sums.get(account(owner, purpose)) ?? 0n;
    }

    /** Every invoice paid so far: nothing due, collections = −Σ totals, revenue = Σ non-usage lines. */
    async function expectLedgerSettled() {
      const balance = await ledger();
      const revenueFen = expected
        .flat()
        .reduce((sum, line) => (line.kind === "usage" ? sum : sum + line.amountFen), 0n);
      expect(balance("customer", "invoices_due")).toBe(0n);
      expect(balance("merchant", "billed_revenue")).toBe(micros(revenueFen));
      expect(balance("merchant", "invoice_collections")).toBe(-micros(paidTotalFen));
      expect(balance("merchant", "bad_debt")).toBe(0n);
      expect(balance("customer", "account_credit")).toBe(0n);
      // Accrued usage is negative until an invoice bills it; what is left is under half a fen per line.
      const unbilled = balance("customer", "unbilled_usage");
      expect(unbilled).toBe(-accruedMicros + micros(billedUsageFen));
      expect(unbilled < 5_000n * 2n && unbilled > -5_000n * 2n).toBe(true);
      expect(balance("merchant", "usage_revenue")).toBe(accruedMicros);
    }

    async function sendTokens(...quantities: bigint[]) {
      // The customer lives on the clock: its events happen in the clock's time.
      const clockNow = Date.parse((await client.testClocks.retrieve(clock.id)).frozenTime);
      const results = await client.usageEvents.ingest(
        quantities.map((quantity) => ({
          customerExternalId: "year",
          idempotencyKey: `tok_${++events}`,
          metric: "tokens_output",
          quantity: quantity.toString(),
          occurredAt: new Date(clockNow - 1_000),
        })),
      );
      expect(results.results.map((r) => r.status)).toEqual(quantities.map(() => "accepted"));
      for (const quantity of quantities) {
        accruedMicros += quantity * tokenMicros;
        unbilledTokens += quantity;
      }
    }

    /** The usage line the next renewal bills (none when it rounds to zero fen). */
    function takeUsage(): Lines {
      const fen = usageFen(unbilledTokens);
      unbilledTokens = 0n;
      billedUsageFen += fen;
      return fen > 0n ? [{ kind: "usage", amountFen: fen }] : [];
    }

    /** The invoice is the next one, numbered in sequence, with exactly these lines and total. */
    async function expectNextInvoice(invoiceId: string, lines: Lines, period?: [number, number]) {
      expected.push(lines);
      const invoice = await client.invoices.retrieve(invoiceId);
      const total = lines.reduce((sum, line) => sum + line.amountFen, 0n);
      expect(invoice.number).toBe(formatInvoiceNumber("test", expected.length));
      expect(invoice).toMatchObject({ status: "open", purpose: "subscription", creditApplied: "0.00" });
      expect(invoice.lines.map((line) => fenOf(line.amount))).toEqual(lines.map((line) => line.amountFen));
      expect(fenOf(invoice.subtotal)).toBe(total);
      expect(fenOf(invoice.total)).toBe(total);
      const kinds = (await server.runtime.billing.invoice(invoiceId)).context.lines.map((line) => line.kind);
      expect(kinds).toEqual(lines.map((line) => line.kind));
      const usage = invoice.lines.filter((_, i) => lines[i]?.kind === "usage");
      for (const line of usage) {
        expect(line.description).toMatch(/^Usage 用量: tokens_output \(\d+ events?\)$/);
        // Many events summed: no unit price, rather than the line's total shown as one.
        expect(line).toMatchObject({ kind: "usage", unitAmount: null });
        expect(Number(line.quantity)).toBeGreaterThan(0);
      }
      if (period) {
        expect(Date.parse(invoice.periodStart!)).toBe(period[0]);
        expect(Date.parse(invoice.periodEnd!)).toBe(period[1]);
      }
      return invoice;
    }

    async function pay(invoice: Invoice) {
      await client.invoices.pay(invoice.id, { channel: "wechat_native" });
      const paid = await client.sandbox.simulatePayment(invoice.id, { outcome: "succeeded" });
      expect(paid.status).toBe("paid");
      paidTotalFen += fenOf(invoice.total);
      await expectLedgerSettled();
    }

    const subscription = () => client.subscriptions.retrieve(sub.id);
    const hasAccess = async () => (await client.entitlements.check("year", product.id)).hasAccess;
    async function advanceTo(at: number) {
      expect((await client.testClocks.advance(clock.id, { frozenTime: new Date(at) })).status).toBe("ready");
    }
    async function expectRenewed(index: number, priceId: string): Promise<Subscription> {
      const renewed = await subscription();
      expect(renewed).toMatchObject({ status: "active", priceId });
      expect(Date.parse(renewed.currentPeriodStart)).toBe(periodEnd(index - 1));
      expect(Date.parse(renewed.currentPeriodEnd)).toBe(periodEnd(index));
      return renewed;
    }
    const fee = (price: { unitAmount: string }) => ({
      kind: "subscription" as const,
      amountFen: fenOf(price.unitAmount),
    });

    // Month 1: Standard, first invoice in advance; access once it is paid.
    const sub = await client.subscriptions.create({ customerExternalId: "year", priceId: standard.id });
    expect(sub).toMatchObject({ status: "incomplete", priceId: standard.id });
    const first = await expectNextInvoice(sub.latestInvoiceId!, [fee(standard)], [anchor, periodEnd(0)]);
    expect(await hasAccess()).toBe(false);
    await pay(first);
    expect((await subscription()).status).toBe("active");
    expect(await hasAccess()).toBe(true);
    await sendTokens(10_000n, 2_000n, 345n); // ¥2.469 → ¥2.47 on the next invoice

    // Month 2: renews with the fee in advance and month 1's usage in arrears.
    await advanceTo(periodEnd(0) + 1_000);
    let renewed = await expectRenewed(1, standard.id);
    await pay(
      await expectNextInvoice(
        renewed.latestInvoiceId!,
        [fee(standard), ...takeUsage()],
        [periodEnd(0), periodEnd(1)],
      ),
    );

    // Ten days in: upgrade to Pro, the difference for the rest of the period invoiced now.
    const upgradeAt = periodEnd(0) + 10 * day;
    await advanceTo(upgradeAt);
    const upgraded = await client.subscriptions.changePlan(sub.id, { priceId: pro.id });
    expect(upgraded).toMatchObject({ priceId: pro.id, status: "active", pendingChange: null });
    const proration = planChangeProration({
      oldAmountFen: fenOf(standard.unitAmount),
      newAmountFen: fenOf(pro.unitAmount),
      periodStart: periodEnd(0),
      periodEnd: periodEnd(1),
      at: upgradeAt,
    });
    expect(proration.netFen).toBe(proration.remainingChargeFen - proration.unusedCreditFen);
    await pay(
      await expectNextInvoice(upgraded.latestInvoiceId!, [
        { kind: "proration", amountFen: -proration.unusedCreditFen },
        { kind: "proration", amountFen: proration.remainingChargeFen },
      ]),
    );
    await sendTokens(50_000n); // ¥10.00

    // Month 3 at Pro; five days in, a downgrade to Standard waits for the period end.
    await advanceTo(periodEnd(1) + 1_000);
    renewed = await expectRenewed(2, pro.id);
    await pay(
      await expectNextInvoice(
        renewed.latestInvoiceId!,
        [fee(pro), ...takeUsage()],
        [periodEnd(1), periodEnd(2)],
      ),
    );
    await advanceTo(periodEnd(1) + 5 * day);
    const downgraded = await client.subscriptions.changePlan(sub.id, { priceId: standard.id });
    expect(downgraded).toMatchObject({ priceId: pro.id, pendingChange: { priceId: standard.id } });
    expect((await client.invoices.list({ subscriptionId: sub.id })).data).toHaveLength(expected.length);

    // Month 4 at Standard.
    await advanceTo(periodEnd(2) + 1_000);
    renewed = await expectRenewed(3, standard.id);
    expect(renewed.pendingChange).toBeNull();
    await pay(
      await expectNextInvoice(renewed.latestInvoiceId!, [fee(standard)], [periodEnd(2), periodEnd(3)]),
    );

    // Month 5: the renewal is left unpaid past its grace (3 days): past due, access kept; paying restores it.
    await advanceTo(periodEnd(3) + 1_000);
    renewed = await expectRenewed(4, standard.id);
    const unpaid = await expectNextInvoice(
      renewed.latestInvoiceId!,
      [fee(standard)],
      [periodEnd(3), periodEnd(4)],
    );
    await advanceTo(periodEnd(3) + 2 * day);
    expect((await subscription()).status).toBe("active");
    await advanceTo(periodEnd(3) + 4 * day);
    expect((await subscription()).status).toBe("past_due");
    expect(await hasAccess()).toBe(true);
    const due = await ledger();
    expect(due("customer", "invoices_due")).toBe(-micros(fenOf(unpaid.total)));
    await pay(unpaid);
    expect((await subscription()).status).toBe("active");

    // Months 6–12 renew at Standard; a little usage in month 7, and one token (under a fen) in month 9.
    for (let index = 5; index <= 11; index++) {
      if (index === 7) await sendTokens(1_234_567n); // ¥246.9134 → ¥246.91
      if (index === 9) await sendTokens(1n); // ¥0.0002: rounds to no line, stays unbilled
      await advanceTo(periodEnd(index - 1) + 1_000);
      renewed = await expectRenewed(index, standard.id);
      expect(await hasAccess()).toBe(true);
      await pay(
        await expectNextInvoice(
          renewed.latestInvoiceId!,
          [fee(standard), ...takeUsage()],
          [periodEnd(index - 1), periodEnd(index)],
        ),
      );
    }

    // Mid-month 12: cancel at period end; access until then, then canceled with no further invoice.
    await advanceTo(periodEnd(10) + 15 * day);
    expect((await client.subscriptions.cancel(sub.id)).cancelAtPeriodEnd).toBe(true);
    expect(await hasAccess()).toBe(true);
    await advanceTo(periodEnd(11) + 1_000);
    expect(await subscription()).toMatchObject({ status: "canceled", cancelReason: "requested" });
    expect(await hasAccess()).toBe(false);
    await advanceTo(periodEnd(12) + day);
    expect(await subscription()).toMatchObject({ status: "canceled" });

    // Thirteen invoices (first, eleven renewals, one proration), numbered without a gap, all paid.
    const invoices = await client.invoices.list({ subscriptionId: sub.id, limit: 100 });
    expect(invoices.data.map((invoice) => invoice.number).reverse()).toEqual(
      expected.map((_, i) => formatInvoiceNumber("test", i + 1)),
    );
    expect(invoices.data.every((invoice) => invoice.status === "paid")).toBe(true);
    expect(expected).toHaveLength(13);
    // ¥2.47 + ¥10.00 + ¥246.91 billed; the lone token's ¥0.0002 stays in unbilled usage.
    expect(billedUsageFen).toBe(247n + 1_000n + 24_691n);
    await expectLedgerSettled();
    // The money side: Σ of the totals, in fen, computed from the lines alone.
    const totals = expected.map((lines) => lines.reduce((sum, line) => sum + line.amountFen, 0n));
    expect(totals.reduce((a, b) => a + b, 0n)).toBe(paidTotalFen);
    // No billing timer of this clock is left behind.
    const timers = await server.runtime.log.db
      .keys({ gte: `x!bt!${clock.id}!`, lt: `x!bt!${clock.id}!~` })
      .all();
    expect(timers).toEqual([]);

    // The audit replays the whole ledger through the machines: no finding.
    await server.stop();
    stopped = true;
    await expectAuditClean(dir.path);
  });
});

describe("dunning longer than a period", () => {
  it("a past-due subscription that renews before dunning runs out is still canceled when it does", async () => {
    const longDir = await tempDir("buffmoney-billing-dunning-");
    const long = await startTestServer({
      collect: true,
      dataDir: longDir.path,
      billing: { dunningMs: 40 * day },
    });
    try {
      const created = await long.admin.merchants.create({ name: "Long dunning" });
      const client = new BuffMoneyClient({ apiKey: created.apiKeys.test, baseUrl: long.url, maxRetries: 0 });
      const product = await client.products.create({ name: "AI Studio" });
      const standard = await client.prices.create({
        productId: product.id,
        type: "recurring",
        interval: "month",
        unitAmount: "149.00",
      });
      const anchor = Date.parse("2027-02-01T00:00:00+08:00");
      const periodEnd = (index: number) => monthlyPeriodEnd(anchor, index);
      const clock = await client.testClocks.create({ frozenTime: new Date(anchor) });
      await client.customers.create({ externalId: "late", testClockId: clock.id });
      const sub = await client.subscriptions.create({ customerExternalId: "late", priceId: standard.id });
      await client.invoices.pay(sub.latestInvoiceId!, { channel: "wechat_native" });
      await client.sandbox.simulatePayment(sub.latestInvoiceId!, { outcome: "succeeded" });

      // Month 2's invoice lapses (past due); month 3 renews while still past due.
      await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd(0) + 4 * day) });
      const lapsed = await client.subscriptions.retrieve(sub.id);
      expect(lapsed.status).toBe("past_due");
      await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd(1) + 1_000) });
      const renewed = await client.subscriptions.retrieve(sub.id);
      expect(renewed).toMatchObject({ status: "past_due" });
      expect(renewed.latestInvoiceId).not.toBe(lapsed.latestInvoiceId);

      // Dunning of month 2's invoice (3 + 40 days after it) runs out: canceled as unpaid.
      await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd(0) + 44 * day) });
      expect(await client.subscriptions.retrieve(sub.id)).toMatchObject({
        status: "canceled",
        cancelReason: "unpaid",
      });
      expect((await client.invoices.retrieve(lapsed.latestInvoiceId!)).status).toBe("uncollectible");
      expect((await client.invoices.retrieve(renewed.latestInvoiceId!)).status).toBe("void");
      expect((await client.entitlements.check("late", product.id)).hasAccess).toBe(false);

      // Nothing renews it afterwards.
      await client.testClocks.advance(clock.id, { frozenTime: new Date(periodEnd(4)) });
      expect((await client.invoices.list({ subscriptionId: sub.id })).data).toHaveLength(3);
      const ledgerBalances = new Map<string, bigint>();
      for await (const record of long.runtime.log.scan(1))
        for (const p of record.postings)
          ledgerBalances.set(p.account, (ledgerBalances.get(p.account) ?? 0n) + BigInt(p.amountMicros));
      const customerId = (await client.customers.retrieve("late")).id;
      expect(ledgerBalances.get(`test:customer:${customerId}:invoices_due`) ?? 0n).toBe(0n);
      expect(ledgerBalances.get(`test:merchant:${created.id}:bad_debt`)).toBe(-149_000_000n);
    } finally {
      await long.stop();
      await longDir.remove();
    }
  });
});
