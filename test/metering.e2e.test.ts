import { afterAll, describe, expect, it } from "vitest";
import { startChildServer, killChildServers, type ChildServer } from "./support/childServer.js";
import { jsonClient } from "./support/http.js";
import { tempDir } from "./support/tempDir.js";

const adminToken = "metering-e2e-admin";
const customers = 40;
const microsOf = (amount: string) => {
  const [whole = "0", fraction = ""] = amount.replace("-", "").split(".");
  const micros = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, "0"));
  return amount.startsWith("-") ? -micros : micros;
};

afterAll(async () => {
  await killChildServers();
});

/** 60 batches of 50 events over 40 prepaid customers; every batch shares half its keys with the previous one. */
function batches(runStart: number) {
  const all: Array<Array<Record<string, unknown>>> = [];
  for (let b = 0; b < 60; b++) {
    const events = [];
    for (let e = 0; e < 50; e++) {
      const id = b * 25 + e; // overlaps the previous batch's second half
      events.push({
        customerExternalId: `c${id % customers}`,
        idempotencyKey: `k${id}`,
        metric: "images",
        quantity: String(1 + (id % 3)),
        occurredAt: new Date(runStart - 1000).toISOString(),
        dimensions: { model: id % 2 === 0 ? "flux" : "sdxl" },
      });
    }
    all.push(events);
  }
  return all;
}

async function send(server: ChildServer, key: string, list: ReturnType<typeof batches>, concurrency: number) {
  const api = jsonClient(server.url, key);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const events = list[next++];
      try {
        await api.post("/v1/usage-events", { events });
      } catch {
        return; // the server went away mid-run
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe("metering end to end", () => {
  it("concurrent overlapping batches with repeated keys charge each key once, never below zero, across a crash", async () => {
    const dir = await tempDir();
    let server = await startChildServer({ dataDir: dir.path, adminToken });
    const admin = jsonClient(server.url, adminToken);
    const { body: merchant } = await admin.post("/v1/admin/merchants", { name: "E2E" });
    const key = merchant.apiKeys.test as string;
    let api = jsonClient(server.url, key);
    const card = await api.post("/v1/rate-cards", {
      name: "images",
      currency: "CNY",
      prices: [
        { metric: "images", pricing: "per_unit", unitAmount: "0.20", dimensions: { model: "flux" } },
        {
          metric: "images",
          pricing: "graduated",
          tiers: [
            { upTo: "20", unitAmount: "0.10" },
            { upTo: null, unitAmount: "0.05" },
          ],
        },
      ],
    });
    for (let i = 0; i < customers; i++) {
      await api.post("/v1/customers", { externalId: `c${i}` });
      await api.patch(`/v1/customers/c${i}`, { rateCardId: card.body.id, billingMode: "prepaid" });
      await api.post(`/v1/customers/c${i}/wallet/grants`, { amount: "5.00", reason: "seed" });
    }
    const work = batches(Date.now());

    // Run 1: killed part way through.
    const running = send(server, key, work, 8);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await server.kill();
    await running;

    // Run 2: restart and send everything again (clients retry whole batches).
    server = await startChildServer({ dataDir: dir.path, adminToken });
    api = jsonClient(server.url, key);
    await Promise.all([send(server, key, work, 4), send(server, key, [...work].reverse(), 4)]);

    const charged = new Map<string, number>();
    for (let i = 0; i < customers; i++) {
      const wallet = (await api.get(`/v1/customers/c${i}/wallet`)).body;
      let sum = 0n;
      let cursor: string | null = null;
      do {
        type Page = {
          data: Array<{ type: string; amount: string; charges: Array<{ eventKey: string }> }>;
          nextCursor: string | null;
        };
        const page: Page = (
          await api.get(
            `/v1/customers/c${i}/wallet/transactions?limit=100${cursor ? `&startingAfter=${cursor}` : ""}`,
          )
        ).body;
        for (const tx of page.data) {
          if (tx.type !== "usage") continue;
          sum += microsOf(tx.amount);
          for (const c of tx.charges) charged.set(c.eventKey, (charged.get(c.eventKey) ?? 0) + 1);
        }
        cursor = page.nextCursor;
      } while (cursor);
      expect(microsOf(wallet.balance)).toBe(5_000_000n - sum);
      expect(microsOf(wallet.balance) >= 0n).toBe(true);
    }
    expect([...charged.values()].every((count) => count === 1)).toBe(true);
    expect(charged.size).toBeGreaterThan(0);

    // A third pass: every key already charged answers duplicate, and charges nothing again.
    const replay = await api.post("/v1/usage-events", { events: work[0] });
    for (const result of replay.body.results as Array<{ idempotencyKey: string; status: string }>) {
      if (charged.has(result.idempotencyKey)) expect(result.status).toBe("duplicate");
    }
    expect(await server.stop()).toBe(0);
    await dir.remove();
  }, 120_000);
});
