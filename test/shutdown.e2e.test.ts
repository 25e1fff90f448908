import { request, Agent } from "node:http";
import { BuffMoneyAdminClient } from "@buffmoney/sdk";
import { afterAll, describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import { createApp } from "../api/index.js";
import { killChildServers, startChildServer } from "./support/childServer.js";
import { openRuntime } from "./support/runtimeFixture.js";
import { tempDir } from "./support/tempDir.js";

const adminToken = "bm_admin_shutdown_0123456789";
const clients = 8;
/** Clients keep sending this long after the signal: a server that kept serving them would still be up. */
const sendAfterSignalMs = 4_000;
const signalArrivalMs = 100;

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  at: number;
}

/** One POST on a kept-alive connection of `agent`; rejects when the connection fails. */
function post(agent: Agent, url: string, path: string, apiKey: string, key: string, body: unknown) {
  return new Promise<Answer>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      `${url}${path}`,
      {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${apiKey}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          "idempotency-key": key,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            body: text,
            at: Date.now(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

afterAll(async () => {
  await killChildServers();
});

describe("stopping under load", () => {
  it("closes busy kept-alive connections on SIGTERM, exits while clients still send, and keeps every answer", async () => {
    const dir = await tempDir("shutdown");
    try {
      const first = await startChildServer({ dataDir: dir.path, adminToken });
      const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: first.url });
      const merchant = await admin.merchants.create({ name: "Shutdown" });
      const apiKey = merchant.apiKeys.test;
      const setup = new Agent({ keepAlive: true });
      await post(setup, first.url, "/v1/customers", apiKey, "c", { externalId: "busy" });
      await post(setup, first.url, "/v1/customers/busy/wallet/grants", apiKey, "g", {
        amount: "100000",
        reason: "load",
      });
      setup.destroy();

      const acked = new Map<string, string>();
      let signalledAt = Number.POSITIVE_INFINITY;
      let closedAfterSignal = 0;
      let answeredAfterSignal = 0;
      let sent = 0;
      const load = Array.from({ length: clients }, async (_, client) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        try {
          while (Date.now() < signalledAt + sendAfterSignalMs) {
            const key = `d-${client}-${sent++}`;
            const sentAt = Date.now();
            try {
              const answer = await post(agent, first.url, "/v1/customers/busy/wallet/debits", apiKey, key, {
                amount: "0.01",
              });
              if (answer.status === 201) acked.set(key, answer.body);
              // Sent once the signal had surely arrived (the server takes it within a few ms).
              if (sentAt > signalledAt + signalArrivalMs) {
                answeredAfterSignal += 1;
                if (answer.connection === "close") closedAfterSignal += 1;
              }
            } catch {
              // Refused or cut once the server stops taking connections: a short pause, then on.
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          }
        } finally {
          agent.destroy();
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      signalledAt = Date.now();
      const code = await first.stop();
      const stoppedInMs = Date.now() - signalledAt;
      await Promise.all(load);

      expect(code).toBe(0);
      // It left while the clients were still sending: their connections did not hold it up.
      expect(stoppedInMs).toBeLessThan(sendAfterSignalMs);
      expect(first.output()).toMatch(/stopped: the ledger is flushed and closed at record \d+/);
      // Whatever was answered after the signal told its client to close the connection.
      expect(closedAfterSignal).toBe(answeredAfterSignal);
      expect(acked.size).toBeGreaterThan(0);

      // Every answered debit is in the ledger: each retry replays the very same transaction.
      const second = await startChildServer({ dataDir: dir.path, adminToken });
      const agent = new Agent({ keepAlive: true });
      for (const [key, body] of acked) {
        const replay = await post(agent, second.url, "/v1/customers/busy/wallet/debits", apiKey, key, {
          amount: "0.01",
        });
        expect(replay.status).toBe(201);
        expect(JSON.parse(replay.body).transaction).toEqual(JSON.parse(body).transaction);
      }
      agent.destroy();
      await second.stop();
    } finally {
      await dir.remove();
    }
  });

  it("while stopping, answers /health with 503 and closes every connection after its response", async () => {
    const dir = await tempDir("draining");
    const runtime = await openRuntime(dir.path);
    let draining = false;
    const server = createApp(runtime, { draining: () => draining }).listen(0, "127.0.0.1");
    try {
      await new Promise((resolve) => server.once("listening", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const agent = new Agent({ keepAlive: true });
      const get = (path: string) =>
        new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
          request(`${url}${path}`, { agent }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body += chunk));
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
            );
          })
            .on("error", reject)
            .end();
        });
      const serving = await get("/health");
      expect(serving).toMatchObject({ status: 200, connection: "keep-alive" });
      draining = true;
      const stopping = await get("/health");
      expect(stopping).toMatchObject({ status: 503, connection: "close" });
      expect(JSON.parse(stopping.body)).toMatchObject({ status: "stopping" });
      expect((await get("/no/such/route")).connection).toBe("close");
      agent.destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await runtime.close();
      await dir.remove();
    }
  });
});
