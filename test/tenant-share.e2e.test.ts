import { request, type ClientRequest, type IncomingMessage } from "node:http";
import BuffMoneyClient from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "./support/server.js";

/** One merchant's burst must not take the server from the others: its share of requests in flight is bounded. */
let server: Awaited<ReturnType<typeof startTestServer>>;
const inFlightMax = 2;

beforeAll(async () => {
  server = await startTestServer({ requestsInFlightPerMerchantMax: inFlightMax });
});

afterAll(async () => {
  await server.remove();
});

interface Held {
  finish(): Promise<IncomingMessage & { body: string }>;
}

/** A grant whose body arrives slowly: the request stays in flight until `finish` sends the rest. */
function slowGrant(apiKey: string, externalId: string): Held {
  const body = JSON.stringify({ amount: "1.00", reason: "slow" });
  const url = new URL(`/v1/customers/${externalId}/wallet/grants`, server.url);
  const req: ClientRequest = request(url, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${apiKey}`,
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
    },
  });
  const answered = new Promise<IncomingMessage & { body: string }>((resolve, reject) => {
    req.on("response", (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve(Object.assign(response, { body: text })));
    });
    req.on("error", reject);
  });
  req.write(body.slice(0, 5));
  req.flushHeaders();
  return {
    finish() {
      req.end(body.slice(5));
      return answered;
    },
  };
}

async function grantStatus(apiKey: string, externalId: string) {
  const response = await fetch(`${server.url}/v1/customers/${externalId}/wallet/grants`, {
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ amount: "1.00", reason: "probe" }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: await response.json(),
  };
}

describe("a merchant's share of requests in flight", () => {
  it("answers that merchant 429 past its share, while other merchants and its other environment are served", async () => {
    const busy = await server.admin.merchants.create({ name: "Busy" });
    const quiet = await server.admin.merchants.create({ name: "Quiet" });
    const key = busy.apiKeys.test;
    for (const [apiKey, env] of [
      [key, "test"],
      [busy.apiKeys.live, "live"],
      [quiet.apiKeys.test, "test"],
    ] as const) {
      const client = new BuffMoneyClient({ apiKey, baseUrl: server.url, maxRetries: 0 });
      await client.customers.create({ externalId: `u_${env}` });
    }

    const held = [slowGrant(key, "u_test"), slowGrant(key, "u_test")];
    // Both are in flight once the server has seen their headers.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const refused = await grantStatus(key, "u_test");
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe("1");
    expect(refused.body).toMatchObject({ code: "rate_limited" });
    expect((await grantStatus(quiet.apiKeys.test, "u_test")).status).toBe(201);
    expect((await grantStatus(busy.apiKeys.live, "u_live")).status).toBe(201);

    const answers = await Promise.all(held.map((h) => h.finish()));
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201]);
    expect((await grantStatus(key, "u_test")).status).toBe(201);

    // Nothing refused was applied: two slow grants and one probe.
    const client = new BuffMoneyClient({ apiKey: key, baseUrl: server.url, maxRetries: 0 });
    expect((await client.wallets.retrieve("u_test")).balance).toBe("3.00");
  });

  it("the SDK waits the Retry-After and gets through once the share frees up", async () => {
    const busy = await server.admin.merchants.create({ name: "Retrying" });
    const client = new BuffMoneyClient({ apiKey: busy.apiKeys.test, baseUrl: server.url, maxRetries: 3 });
    await client.customers.create({ externalId: "r1" });
    const held = [slowGrant(busy.apiKeys.test, "r1"), slowGrant(busy.apiKeys.test, "r1")];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const retried = client.wallets.grant("r1", { amount: "5.00", reason: "retried" });
    setTimeout(() => void Promise.all(held.map((h) => h.finish())), 300);
    await expect(retried).resolves.toMatchObject({ transaction: { amount: "5.00" } });
    expect((await client.wallets.retrieve("r1")).balance).toBe("7.00");
  });
});
