import BuffMoneyClient, { BuffMoneyAdminClient, type UsageEventParams } from "@buffmoney/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { formatMicros, parseDecimalToMicros } from "../domain/money.js";
import { expectAuditClean } from "./support/auditClean.js";
import { killChildServers, startChildServer } from "./support/childServer.js";
import { tempDir } from "./support/tempDir.js";

/**
 * Storage that stops taking writes halfway through a record (a file size limit: the write is cut
 * short, as on a full disk, and the ledger's file ends torn). The server must stop rather than go on
 * without its log; restarted on the same directory, every answered batch is there exactly once,
 * the batches it never answered settle on retry to exactly one charge per event, and the audit
 * tool finds nothing wrong.
 */
const adminToken = "bm_admin_storage_failure_0123456789";
const customers = Array.from({ length: 20 }, (_, i) => `store_${i}`);
const grant = "1000.00";
/** Each event costs quantity × 0.01: per unit, no tiers, so the charge does not depend on order. */
const unitAmount = "0.01";
const eventsPerBatch = 100;
const inFlight = 4;
/** Big enough for the set-up, small enough that a few dozen usage batches reach it. */
const fileSizeLimitBytes = 2_000_000;

type Event = UsageEventParams;

function batchOf(worker: number, n: number): Event[] {
  return Array.from({ length: eventsPerBatch }, (_, i) => ({
    customerExternalId: customers[(worker * 7 + n * 3 + i) % customers.length] as string,
    idempotencyKey: `w${worker}-b${n}-e${i}`,
    metric: "tokens_output",
    quantity: String(1 + ((n + i) % 5)),
    occurredAt: new Date().toISOString(),
    dimensions: { model: "deepseek-r1", region: "cn-east" },
  }));
}

function micros(amount: string): bigint {
  const parsed = parseDecimalToMicros(amount);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.micros;
}

/** What each customer owes for `events`, in micro-yuan. */
function chargesOf(events: readonly Event[]): Map<string, bigint> {
  const owed = new Map<string, bigint>();
  for (const e of events) {
    const charge = BigInt(e.quantity) * micros(unitAmount);
    owed.set(e.customerExternalId, (owed.get(e.customerExternalId) ?? 0n) + charge);
  }
  return owed;
}

describe("storage that fails in the middle of a write", () => {
  afterAll(killChildServers);

  it("stops the server; after a restart every answered batch is there once and the rest settle on retry", async () => {
    const dir = await tempDir("buffmoney-storage-failure-");
    try {
      const limited = await startChildServer({ dataDir: dir.path, adminToken, fileSizeLimitBytes });
      const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: limited.url });
      const { apiKeys } = await admin.merchants.create({ name: "Storage failure" });
      const client = (url: string) =>
        new BuffMoneyClient({ apiKey: apiKeys.test, baseUrl: url, maxRetries: 0 });
      const first = client(limited.url);
      const card = await first.rateCards.create({
        name: "Per token",
        currency: "CNY",
        prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount }],
      });
      for (const externalId of customers) {
        await first.customers.create({ externalId });
        await first.customers.update(externalId, { rateCardId: card.id, billingMode: "prepaid" });
        await first.wallets.grant(externalId, { amount: grant, reason: "storage failure test" });
      }

      // Batches until the storage refuses: the answered ones, and the ones cut off without an answer.
      const answered: Event[][] = [];
      const unanswered: Event[][] = [];
      let stopped = false;
      await Promise.all(
        Array.from({ length: inFlight }, async (_, worker) => {
          for (let n = 0; !stopped && n < 1000; n++) {
            const events = batchOf(worker, n);
            try {
              const { results } = await first.usageEvents.ingest(events);
              expect(results.map((r) => r.status)).toEqual(events.map(() => "accepted"));
              answered.push(events);
            } catch (error) {
              expect((error as { code?: string }).code).toBe("connection_error");
              unanswered.push(events);
              stopped = true;
            }
          }
        }),
      );
      expect(await limited.exited).not.toBe(0);
      expect(limited.output()).toMatch(/the ledger could not be written[\s\S]*File too large/);
      expect(answered.length).toBeGreaterThan(3);
      expect(unanswered.length).toBeGreaterThan(0);

      const restarted = await startChildServer({ dataDir: dir.path, adminToken });
      const second = client(restarted.url);
      // Answered: applied, once. Sent again, every event is a duplicate and nothing moves.
      const grantMicros = micros(grant);
      const owedAnswered = chargesOf(answered.flat());
      const owedUnanswered = chargesOf(unanswered.flat());
      for (const externalId of customers) {
        const applied = grantMicros - micros((await second.wallets.retrieve(externalId)).balance);
        expect(applied).toBeGreaterThanOrEqual(owedAnswered.get(externalId) ?? 0n);
        expect(applied).toBeLessThanOrEqual(
          (owedAnswered.get(externalId) ?? 0n) + (owedUnanswered.get(externalId) ?? 0n),
        );
      }
      for (const events of answered.slice(0, 3)) {
        const { results } = await second.usageEvents.ingest(events);
        expect(new Set(results.map((r) => r.status))).toEqual(new Set(["duplicate"]));
      }
      // Unanswered: each event ends up applied exactly once, whether or not it was before.
      for (const events of unanswered) {
        const { results } = await second.usageEvents.ingest(events);
        for (const r of results) expect(["accepted", "duplicate"]).toContain(r.status);
      }
      const owedAll = chargesOf([...answered, ...unanswered].flat());
      for (const externalId of customers) {
        const wallet = await second.wallets.retrieve(externalId);
        expect(wallet.balance).toBe(formatMicros(grantMicros - (owedAll.get(externalId) ?? 0n)));
      }
      // And it takes writes again.
      expect((await second.usageEvents.ingest(batchOf(99, 0))).results[0]?.status).toBe("accepted");
      expect(await restarted.stop()).toBe(0);

      await expectAuditClean(dir.path);
    } finally {
      await killChildServers();
      await dir.remove();
    }
  }, 120_000);
});
