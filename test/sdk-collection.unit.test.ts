import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import BuffMoneyClient from "@buffmoney/sdk";

interface Received {
  method: string;
  url: string;
  idempotencyKey: string | undefined;
  body: unknown;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Answers every request with `{}` (or a 503 once, when asked) and records what it received. */
async function recordingServer(failFirst = false): Promise<{ baseUrl: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const key = request.headers["idempotency-key"];
      received.push({
        method: request.method ?? "",
        url: request.url ?? "",
        idempotencyKey: typeof key === "string" ? key : undefined,
        body: text === "" ? undefined : JSON.parse(text),
      });
      const fail = failFirst && received.length === 1;
      response.writeHead(fail ? 503 : 200, {
        "Content-Type": fail ? "application/problem+json" : "application/json",
      });
      response.end(JSON.stringify(fail ? { code: "overloaded", status: 503, detail: "busy" } : {}));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe("SDK collection resources", () => {
  it("sends each call to its route, IDs encoded as one path segment", async () => {
    const { baseUrl, received } = await recordingServer();
    const client = new BuffMoneyClient({ apiKey: "bm_test_abcdefghijklmnop", baseUrl, maxRetries: 0 });
    await client.wallets.topUp("user/42 中", { amount: "100.00", channel: "wechat_native" });
    await client.invoices.retrieve("inv_1");
    await client.refunds.create({ invoiceId: "inv_1", amount: "30.00", reason: "unused" });
    await client.sandbox.simulatePayment("inv_1", { outcome: "succeeded" });
    await client.balance.retrieve();
    expect(received.map((r) => [r.method, r.url, r.body])).toEqual([
      [
        "POST",
        "/v1/customers/user%2F42%20%E4%B8%AD/wallet/top-ups",
        { amount: "100.00", channel: "wechat_native" },
      ],
      ["GET", "/v1/invoices/inv_1", undefined],
      ["POST", "/v1/refunds", { invoiceId: "inv_1", amount: "30.00", reason: "unused" }],
      ["POST", "/v1/sandbox/invoices/inv_1/simulate-payment", { outcome: "succeeded" }],
      ["GET", "/v1/balance", undefined],
    ]);
  });

  it("retries a refund under the caller's one Idempotency-Key", async () => {
    const { baseUrl, received } = await recordingServer(true);
    const client = new BuffMoneyClient({ apiKey: "bm_test_abcdefghijklmnop", baseUrl, maxRetries: 1 });
    await client.refunds.create({ invoiceId: "inv_1", amount: "1.00" }, { idempotencyKey: "refund-7" });
    expect(received.map((r) => r.idempotencyKey)).toEqual(["refund-7", "refund-7"]);
  });
});
