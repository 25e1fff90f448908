import { createConnection, createServer, type Server, type Socket } from "node:net";
import { BuffMoneyClient, BuffMoneyError, type FeedEvent } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startTestServer } from "./support/server.js";

let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.remove();
});

async function merchantKey(): Promise<string> {
  return (await server.admin.merchants.create({ name: "Feed" })).apiKeys.test;
}

const clientOf = (apiKey: string, baseUrl: string) =>
  new BuffMoneyClient({ apiKey, baseUrl, WebSocket, retryDelayMsBase: 20 });

/** A TCP relay in front of the server whose connections the test can cut, as a network would. */
async function relay(targetPort: number) {
  const open = new Set<Socket>();
  const proxy: Server = createServer((downstream) => {
    const upstream = createConnection(targetPort, "127.0.0.1");
    open.add(downstream);
    downstream.pipe(upstream).pipe(downstream);
    const end = () => {
      open.delete(downstream);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      for (const socket of open) socket.destroy();
    },
    close: () => new Promise((resolve) => proxy.close(resolve)),
  };
}

/** Takes events until `count` have arrived (or the stream ends). */
async function take(stream: AsyncIterable<FeedEvent>, count: number, onEach?: (n: number) => Promise<void>) {
  const events: FeedEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    await onEach?.(events.length);
    if (events.length === count) break;
  }
  return events;
}

describe("client.events.stream", () => {
  it("streams history then live events in ledger order, and ends when the signal aborts", async () => {
    const client = clientOf(await merchantKey(), server.url);
    for (let i = 0; i < 5; i++) await client.customers.create({ externalId: `h${i}` });
    const controller = new AbortController();
    const seen: FeedEvent[] = [];
    const reading = (async () => {
      for await (const event of client.events.stream({ after: 0, signal: controller.signal })) {
        seen.push(event);
        if (seen.length === 5)
          for (let i = 0; i < 5; i++) await client.customers.create({ externalId: `l${i}` });
      }
    })();
    while (seen.length < 10) await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await reading; // ends without an error
    expect(seen.map((e) => e.data.externalId)).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => `h${i}`),
      ...[0, 1, 2, 3, 4].map((i) => `l${i}`),
    ]);
    expect(seen.every((e) => e.type === "customer.created" && e.environment === "test")).toBe(true);
    const sequences = seen.map((e) => e.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
  });

  it("resumes after a dropped connection from the last event seen, without repeating or skipping one", async () => {
    const proxy = await relay(Number(new URL(server.url).port));
    try {
      const key = await merchantKey();
      const direct = clientOf(key, server.url);
      const client = clientOf(key, proxy.url);
      for (let i = 0; i < 20; i++) await direct.customers.create({ externalId: `a${i}` });
      const events = await take(client.events.stream({ after: 0 }), 60, async (n) => {
        if (n === 10 || n === 30) {
          proxy.cut();
          for (let i = 0; i < 20; i++) await direct.customers.create({ externalId: `b${n}_${i}` });
        }
      });
      const reference = await take(direct.events.stream({ after: 0 }), 60);
      expect(events.map((e) => e.id)).toEqual(reference.map((e) => e.id));
      expect(new Set(events.map((e) => e.id)).size).toBe(60);
    } finally {
      await proxy.close();
    }
  });

  it("ends at once with BuffMoneyError unauthorized for a wrong key, and when a rolled key expires", async () => {
    const started = Date.now();
    const wrong = await take(clientOf("bm_test_not_a_key", server.url).events.stream(), 1).catch(
      (error: unknown) => error,
    );
    expect(wrong).toBeInstanceOf(BuffMoneyError);
    expect(wrong).toMatchObject({ code: "unauthorized", status: 401 });
    // Not after a series of reconnects.
    expect(Date.now() - started).toBeLessThan(2_000);

    const merchant = await server.admin.merchants.create({ name: "Rolling" });
    const client = clientOf(merchant.apiKeys.test, server.url);
    const ended = take(client.events.stream(), 1_000).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.admin.merchants.rollApiKey(merchant.id, { environment: "test", expiresInSeconds: 0 });
    const expired = await ended;
    expect(expired).toBeInstanceOf(BuffMoneyError);
    expect(expired).toMatchObject({ code: "unauthorized", status: 401 });
  });

  it("says how to get a WebSocket where there is no global one", () => {
    const hasGlobal = typeof (globalThis as { WebSocket?: unknown }).WebSocket === "function";
    const client = new BuffMoneyClient({ apiKey: "bm_test_x", baseUrl: server.url });
    if (hasGlobal) expect(client.events.stream()).toBeDefined();
    else expect(() => client.events.stream()).toThrow(/WebSocket/);
  });
});
