import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Runtime } from "../actors/index.js";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/** Tests read messages freely; each test asserts the shapes it relies on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Client {
  ws: WebSocket;
  messages: Json[];
  events(): Json[];
  closed: Promise<{ code: number; reason: string }>;
  caughtUp: Promise<Json>;
}

/** Connects to the feed (the key in a header, or as ?token=) and collects every message. */
async function connect(baseUrl: string, key: string, after?: number, viaToken = false): Promise<Client> {
  const url = new URL("/v1/feed", baseUrl.replace(/^http/, "ws"));
  if (after !== undefined) url.searchParams.set("after", String(after));
  if (viaToken) url.searchParams.set("token", key);
  const ws = new WebSocket(url, viaToken ? {} : { headers: { Authorization: `Bearer ${key}` } });
  const messages: Json[] = [];
  let onCaughtUp: (m: Json) => void = () => {};
  const caughtUp = new Promise<Json>((resolve) => (onCaughtUp = resolve));
  ws.on("message", (data: Buffer) => {
    const message = JSON.parse(data.toString("utf8")) as Json;
    messages.push(message);
    if (message.object === "feed_caught_up") onCaughtUp(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return { ws, messages, events: () => messages.filter((m) => m.object === "event"), closed, caughtUp };
}

async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every event of the merchant so far, read from the start: what any resumed stream must agree with. */
async function everything(baseUrl: string, key: string): Promise<Json[]> {
  const client = await connect(baseUrl, key, 0);
  await client.caughtUp;
  client.ws.close();
  return client.events();
}

const ids = (events: Json[]) => events.map((e) => e.id as string);

function assertInLedgerOrder(events: Json[]) {
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [events[i - 1], events[i]];
    expect(b.sequence > a.sequence || (b.sequence === a.sequence && b.id > a.id)).toBe(true);
  }
}

let server: Awaited<ReturnType<typeof startTestServer>>;
let key: string;
let api: ReturnType<typeof jsonClient>;
let otherApi: ReturnType<typeof jsonClient>;

beforeAll(async () => {
  server = await startTestServer();
  key = (await server.admin.merchants.create({ name: "Feed" })).apiKeys.test;
  api = jsonClient(server.url, key);
  otherApi = jsonClient(server.url, (await server.admin.merchants.create({ name: "Other" })).apiKeys.test);
  await api.post("/v1/customers", { externalId: "f1" });
  await api.post("/v1/customers/f1/wallet/grants", { amount: "10", reason: "r" });
});
afterAll(async () => {
  await server.remove();
});

describe("the event feed", () => {
  it("streams history, then live events, in ledger order, only of its merchant and environment", async () => {
    const client = await connect(server.url, key, 0);
    const marker = await client.caughtUp;
    expect(client.events().map((e) => e.type)).toEqual(["customer.created", "wallet.granted"]);
    expect(marker.sequence).toBeGreaterThanOrEqual(client.events()[1].sequence);

    await otherApi.post("/v1/customers", { externalId: "not-mine" });
    await api.post("/v1/customers/f1/wallet/debits", { amount: "1" });
    await api.post("/v1/customers/f1/wallet/reservations", { amount: "2" });
    await api.post("/v1/customers", { externalId: "f2" });
    const events = await waitFor(() => client.events().length === 5 && client.events());
    expect(events.slice(2).map((e) => e.type)).toEqual([
      "wallet.debited",
      "wallet.reserved",
      "customer.created",
    ]);
    expect(events[3].data).toMatchObject({
      wallet: { reserved: "2.00", available: "7.00" },
      reservation: { status: "active" },
    });
    assertInLedgerOrder(events);
    expect(events.every((e) => e.environment === "test" && e.data.externalId !== "not-mine")).toBe(true);
    client.ws.close();
  });

  it("resumes after a given sequence with exactly the events missed while disconnected", async () => {
    const first = await connect(server.url, key, 0, true);
    await first.caughtUp;
    const last = first.events()[first.events().length - 1].sequence as number;
    first.ws.close();
    await first.closed;

    await api.post("/v1/customers/f1/wallet/grants", { amount: "3", reason: "missed" });
    await api.post("/v1/customers", { externalId: "f3" });
    const resumed = await connect(server.url, key, last);
    await resumed.caughtUp;
    const all = await everything(server.url, key);
    expect(ids(resumed.events())).toEqual(ids(all.filter((e) => e.sequence > last)));
    expect(resumed.events().map((e) => e.type)).toEqual(["wallet.granted", "customer.created"]);
    resumed.ws.close();
  });

  it("refuses a missing or wrong key, and answers a plain GET with 426", async () => {
    await expect(connect(server.url, "bm_test_nope_nope_nope_nope_nope")).rejects.toThrow(/401/);
    const plain = await api.get("/v1/feed");
    expect(plain.status).toBe(426);
    expect(plain.body.code).toBe("upgrade_required");
    const document = (await (await fetch(`${server.url}/api/openapi`)).json()) as Json;
    expect(document.paths["/v1/feed"].get.operationId).toBe("streamEvents");
  });
});

describe("feed connections", () => {
  it("are bounded per merchant and environment, so one key cannot take every connection", async () => {
    const bounded = await startTestServer({ feed: { connectionsPerMerchantMax: 2 } });
    try {
      const greedy = await bounded.admin.merchants.create({ name: "Greedy" });
      const other = await bounded.admin.merchants.create({ name: "Other" });
      const open = [
        await connect(bounded.url, greedy.apiKeys.test),
        await connect(bounded.url, greedy.apiKeys.test),
      ];
      await expect(connect(bounded.url, greedy.apiKeys.test)).rejects.toThrow(/429/);
      // Another merchant, and the same merchant's other environment, are not held back.
      const others = [
        await connect(bounded.url, other.apiKeys.test),
        await connect(bounded.url, greedy.apiKeys.live),
      ];
      // A closed connection makes room again.
      open[0]!.ws.close();
      await open[0]!.closed;
      await waitFor(() => bounded.feed.connections === 3);
      const again = await connect(bounded.url, greedy.apiKeys.test);
      for (const client of [open[1]!, ...others, again]) client.ws.close();
    } finally {
      await bounded.remove();
    }
  });
});

describe("the event feed across restarts and slow readers", () => {
  it("tells clients where to resume when the server restarts, and resumes there", async () => {
    const dir = await tempDir();
    let running = await startTestServer({ dataDir: dir.path });
    try {
      const feedKey = (await running.admin.merchants.create({ name: "Restart feed" })).apiKeys.test;
      await jsonClient(running.url, feedKey).post("/v1/customers", { externalId: "r1" });
      const client = await connect(running.url, feedKey, 0);
      await client.caughtUp;
      await running.stop();
      const { code, reason } = await client.closed;
      expect(code).toBe(1001);
      const after = Number(/after=(\d+)/.exec(reason)?.[1]);
      expect(after).toBeGreaterThanOrEqual(client.events()[0].sequence);

      running = await startTestServer({ dataDir: dir.path });
      const restartedApi = jsonClient(running.url, feedKey);
      await restartedApi.post("/v1/customers", { externalId: "r2" });
      const resumed = await connect(running.url, feedKey, after);
      await restartedApi.post("/v1/customers/r2/wallet/grants", { amount: "1", reason: "live" });
      await waitFor(() => resumed.events().length === 2);
      expect(
        resumed.events().map((e) => [e.type, e.data.externalId ?? e.data.wallet.customerExternalId]),
      ).toEqual([
        ["customer.created", "r2"],
        ["wallet.granted", "r2"],
      ]);
      const all = await everything(running.url, feedKey);
      expect([...ids(client.events()), ...ids(resumed.events())]).toEqual(ids(all));
      resumed.ws.close();
    } finally {
      await running.stop();
      await dir.remove();
    }
  });

  it("cuts off a client that stops reading, naming where to resume, and loses nothing", async () => {
    const slow = await startTestServer({
      feed: { backlogRecordsMax: 3, sendHighWaterBytes: 65_536, bufferedBytesMax: 64 * 1_048_576 },
    });
    try {
      const merchant = await slow.admin.merchants.create({ name: "Slow reader" });
      const slowKey = merchant.apiKeys.test;
      const client = await connect(slow.url, slowKey);
      const connectedAt = (await client.caughtUp).sequence as number;
      client.ws.pause();

      // Until the kernel's socket buffers (megabytes on loopback) are full the server cannot tell;
      // then its sends wait and the backlog grows. Big events (rate cards) fill them quickly.
      const started = Date.now();
      let written = 0;
      while (slow.feed.connections > 0 && written < 200) {
        await bigEvents(slow.runtime, merchant.id, 5);
        written += 5;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const measured = { written, ms: Date.now() - started };
      client.ws.resume();
      const { code, reason } = await client.closed;
      expect(code, JSON.stringify(measured)).toBe(4008);
      expect(reason).toMatch(/^slow consumer; resume with after=\d+$/);
      const after = Number(/after=(\d+)/.exec(reason)?.[1]);
      expect(client.events().length).toBeGreaterThan(0);
      expect(client.events().every((e) => e.sequence <= after)).toBe(true);

      const resumed = await connect(slow.url, slowKey, after);
      await resumed.caughtUp;
      const all = await everything(slow.url, slowKey);
      expect(resumed.events().length).toBeGreaterThan(0);
      const streamed = [...ids(client.events()), ...ids(resumed.events())];
      expect(streamed).toEqual(ids(all.filter((e) => e.sequence > connectedAt)));
      resumed.ws.close();
    } finally {
      await slow.remove();
    }
  });
});

const filler = "x".repeat(200);
const widePrices = Array.from({ length: 200 }, (_, i) => ({
  metric: "tokens_input",
  pricing: "per_unit",
  unitAmount: "0.0002",
  filters: Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`d${k}`, `${i}-${filler}`])),
}));

/** Rate cards of 200 prices with wide filters: about 350 KB per `rate_card.created` event. */
async function bigEvents(runtime: Runtime, merchantId: string, count: number) {
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      runtime.rateCards.create(
        "test",
        merchantId,
        { name: `wide ${i}`, currency: "CNY", prices: widePrices },
        {
          kind: "admin",
        },
      ),
    ),
  );
}
