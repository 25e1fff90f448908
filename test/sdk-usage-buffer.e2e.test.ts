import BuffMoneyClient, { type UsageEventParams } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatMicros, parseDecimalToMicros } from "../domain/money.js";
import { startTestServer } from "./support/server.js";

/** One event per metered action, recorded through the SDK's buffer against a real server. */
describe("usageEvents.buffer against a server", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.remove();
  });

  it("batches single records into few calls, charges each event once, and answers each record", async () => {
    const { apiKeys } = await server.admin.merchants.create({ name: "Buffered" });
    const calls: number[] = [];
    const client = new BuffMoneyClient({
      apiKey: apiKeys.test,
      baseUrl: server.url,
      fetch: (input, init) => {
        if (input.endsWith("/v1/usage-events")) {
          calls.push((JSON.parse(String(init.body)) as { events: unknown[] }).events.length);
        }
        return fetch(input, init);
      },
    });
    const card = await client.rateCards.create({
      name: "Tokens",
      currency: "CNY",
      prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.01" }],
    });
    const customers = ["b0", "b1", "b2", "b3", "b4"];
    for (const externalId of customers) {
      await client.customers.create({ externalId });
      await client.customers.update(externalId, { rateCardId: card.id, billingMode: "prepaid" });
      await client.wallets.grant(externalId, { amount: "100.00", reason: "buffer test" });
    }

    const occurredAt = new Date();
    const events: UsageEventParams[] = Array.from({ length: 1200 }, (_, n) => ({
      customerExternalId: customers[n % customers.length] as string,
      idempotencyKey: `buffered-${n}`,
      metric: "tokens_output",
      quantity: String(1 + (n % 4)),
      occurredAt,
    }));
    const buffer = client.usageEvents.buffer({ flushIntervalMs: 20 });
    const records = events.map((e) => buffer.record(e));
    await buffer.close();
    const results = await Promise.all(records);
    expect(calls).toEqual([500, 500, 200]);
    expect(results.map((r) => r.idempotencyKey)).toEqual(events.map((e) => e.idempotencyKey));
    expect(results.every((r) => r.status === "accepted")).toBe(true);

    // Three events recorded again, as a retrying caller would: answered duplicate, charged nothing.
    const retry = client.usageEvents.buffer();
    const repeated = [events[3], events[700], events[1199]] as UsageEventParams[];
    const again = await Promise.all(repeated.map((e) => retry.record(e)));
    expect(again.map((r) => r.status)).toEqual(["duplicate", "duplicate", "duplicate"]);
    expect(calls).toEqual([500, 500, 200, 3]);
    for (const [i, externalId] of customers.entries()) {
      const tokens = events
        .filter((_, n) => n % customers.length === i)
        .reduce((sum, e) => sum + BigInt(e.quantity), 0n);
      const grant = parseDecimalToMicros("100.00");
      if (!grant.ok) throw new Error(grant.reason);
      const wallet = await client.wallets.retrieve(externalId);
      expect(wallet.balance).toBe(formatMicros(grant.micros - tokens * 10_000n));
    }
  });
});
