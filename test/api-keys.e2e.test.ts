import BuffMoneyClient, { BuffMoneyError } from "@buffmoney/sdk";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { expectAuditClean } from "./support/auditClean.js";
import { adminToken, startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/** What the key can do: read a customer of its merchant, or the error code why not. */
async function reach(baseUrl: string, apiKey: string, externalId: string): Promise<string> {
  const client = new BuffMoneyClient({ apiKey, baseUrl, maxRetries: 0 });
  try {
    return (await client.customers.retrieve(externalId)).externalId;
  } catch (error) {
    if (error instanceof BuffMoneyError) return `${error.status} ${error.message}`;
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("rolling a merchant's API key", () => {
  const dir = tempDir("buffmoney-api-keys-");
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  afterAll(async () => {
    await server?.stop();
    await (await dir).remove();
  });

  it("replaces one environment's key: the old one stops (now or after an overlap), across a restart", async () => {
    const dataDir = (await dir).path;
    server = await startTestServer({ dataDir });
    const { id, apiKeys } = await server.admin.merchants.create({ name: "Leaky" });
    const original = new BuffMoneyClient({ apiKey: apiKeys.test, baseUrl: server.url });
    await original.customers.create({ externalId: "k1" });
    await new BuffMoneyClient({ apiKey: apiKeys.live, baseUrl: server.url }).customers.create({
      externalId: "k1",
    });

    // A feed connection signed in with the key that is about to be rolled.
    const feed = new WebSocket(new URL("/v1/feed", server.url.replace(/^http/, "ws")), {
      headers: { Authorization: `Bearer ${apiKeys.test}` },
    });
    const feedClosed = new Promise<{ code: number; reason: string }>((resolve) =>
      feed.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise((resolve, reject) => feed.once("open", resolve).once("error", reject));

    const rolled = await server.admin.merchants.rollApiKey(id, { environment: "test" });
    expect(rolled).toMatchObject({ object: "api_key", merchantId: id, environment: "test" });
    expect(rolled.apiKey).toMatch(/^bm_test_/);
    expect(Date.parse(rolled.previousKeyExpiresAt)).toBeLessThanOrEqual(Date.now());
    // The old key stops at once, saying why; the new one reaches the same merchant; live is untouched.
    expect(await reach(server.url, apiKeys.test, "k1")).toBe(
      "401 the API key has expired: it was rolled, use its replacement",
    );
    expect(await reach(server.url, rolled.apiKey, "k1")).toBe("k1");
    expect(await reach(server.url, apiKeys.live, "k1")).toBe("k1");
    expect(await feedClosed).toMatchObject({ code: 4401 });

    // With an overlap both work until it ends; a second roll replaces the key the first one made.
    const overlapping = await server.admin.merchants.rollApiKey(id, {
      environment: "test",
      expiresInSeconds: 1,
    });
    expect(await reach(server.url, rolled.apiKey, "k1")).toBe("k1");
    expect(await reach(server.url, overlapping.apiKey, "k1")).toBe("k1");
    await sleep(1_100);
    expect(await reach(server.url, rolled.apiKey, "k1")).toMatch(/^401 the API key has expired/);

    // Rolls at the same time are taken one after the other: exactly one key is left working.
    const [a, b] = await Promise.all([
      server.admin.merchants.rollApiKey(id, { environment: "test" }),
      server.admin.merchants.rollApiKey(id, { environment: "test" }),
    ]);
    const working = [overlapping.apiKey, a?.apiKey ?? "", b?.apiKey ?? ""];
    const reached = await Promise.all(working.map((key) => reach(server?.url ?? "", key, "k1")));
    expect(reached.filter((r) => r === "k1")).toHaveLength(1);

    // Across a restart the rolled keys stay expired and the newest one works.
    const newest = working[reached.indexOf("k1")] as string;
    await server.stop();
    server = await startTestServer({ dataDir });
    expect(await reach(server.url, apiKeys.test, "k1")).toMatch(/^401 the API key has expired/);
    expect(await reach(server.url, newest, "k1")).toBe("k1");
    expect(await reach(server.url, apiKeys.live, "k1")).toBe("k1");
    await server.stop();
    server = undefined;
    await expectAuditClean(dataDir);
  });

  it("answers a retried roll with the same key, and refuses bad requests without rolling", async () => {
    const local = await startTestServer();
    try {
      const { id, apiKeys } = await local.admin.merchants.create(
        { name: "Retried" },
        { idempotencyKey: "m-1" },
      );
      const createdAgain = await local.admin.merchants.create({ name: "Retried" }, { idempotencyKey: "m-1" });
      expect(createdAgain.apiKeys).toEqual(apiKeys);
      const first = await local.admin.merchants.rollApiKey(
        id,
        { environment: "live" },
        { idempotencyKey: "roll-1" },
      );
      const again = await local.admin.merchants.rollApiKey(
        id,
        { environment: "live" },
        { idempotencyKey: "roll-1" },
      );
      expect(again.apiKey).toBe(first.apiKey);
      // The stored answers that let those retries see the keys again keep them sealed at rest.
      const plaintext: string[] = [];
      for await (const value of local.runtime.log.db.values()) {
        for (const key of [apiKeys.test, apiKeys.live, first.apiKey])
          if (value.includes(key)) plaintext.push(key);
      }
      expect(plaintext).toEqual([]);
      expect(await reach(local.url, first.apiKey, "nobody")).toMatch(/^404/);

      const refusals = await Promise.all(
        [
          () => local.admin.merchants.rollApiKey("mer_nope", { environment: "test" }),
          () => local.admin.merchants.rollApiKey(id, { environment: "prod" as "test" }),
          () => local.admin.merchants.rollApiKey(id, { environment: "test", expiresInSeconds: 8 * 86_400 }),
        ].map((roll) =>
          roll().then(
            () => "rolled",
            (error: BuffMoneyError) => error.code,
          ),
        ),
      );
      expect(refusals).toEqual(["merchant_not_found", "invalid_request", "invalid_request"]);
      expect(await reach(local.url, apiKeys.test, "nobody")).toMatch(/^404/);

      // A merchant's own key cannot roll keys: that is the operator's.
      const asMerchant = await fetch(`${local.url}/v1/admin/merchants/${id}/api-keys/roll`, {
        method: "POST",
        headers: { Authorization: `Bearer ${apiKeys.test}`, "Content-Type": "application/json" },
        body: JSON.stringify({ environment: "test" }),
      });
      expect(asMerchant.status).toBe(401);
      expect(adminToken).not.toBe(apiKeys.test);
    } finally {
      await local.remove();
    }
  });
});
