import BuffMoneyClient, { BuffMoneyAdminClient, type RateCard } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChildServer } from "./support/childServer.js";
import { editStore } from "./support/editStore.js";
import { problemOf } from "./support/problem.js";
import { restartableServers } from "./support/restartableServers.js";
import { adminToken, startTestServer } from "./support/server.js";

/** The rate card list: newest first by the record that created each card, written in its batch. */
let shared: Awaited<ReturnType<typeof startTestServer>>;
const { start, stop, tempDir } = restartableServers();

beforeAll(async () => {
  shared = await startTestServer();
});
afterAll(async () => {
  await shared.remove();
});

const clientOf = (url: string, apiKey: string) =>
  new BuffMoneyClient({ apiKey, baseUrl: url, maxRetries: 0 });

/** A new merchant's keys, and a client of each environment. */
async function merchantOf(server: { url: string }, name = "Rate card lister") {
  const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: server.url });
  const { apiKeys } = await admin.merchants.create({ name });
  return { apiKeys, test: clientOf(server.url, apiKeys.test), live: clientOf(server.url, apiKeys.live) };
}

const createCard = (client: BuffMoneyClient, name: string) =>
  client.rateCards.create({
    name,
    currency: "CNY",
    prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.20" }],
  });

async function listAllIds(client: BuffMoneyClient, pageSize?: number): Promise<string[]> {
  const ids: string[] = [];
  for await (const card of client.rateCards.listAll(pageSize === undefined ? {} : { pageSize }))
    ids.push(card.id);
  return ids;
}

describe("listing rate cards", () => {
  it("lists the environment's rate cards newest first, a page at a time, each as retrieve shows it", async () => {
    const merchant = await merchantOf(shared);
    const created: RateCard[] = [];
    for (const name of ["a", "b", "c", "d", "e"]) created.push(await createCard(merchant.test, name));
    // The list shows a card as it is now, not as it was created.
    await merchant.test.rateCards.publishVersion(created[1]!.id, {
      currency: "CNY",
      prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.30" }],
    });
    const newestFirst = created.map((card) => card.id).reverse();

    const first = await merchant.test.rateCards.list({ limit: 2 });
    expect(first.data.map((card) => card.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.hasMore).toBe(true);
    expect(first.nextCursor).toMatch(/^\d+$/);
    const second = await merchant.test.rateCards.list({ limit: 2, startingAfter: first.nextCursor! });
    expect(second.data.map((card) => card.id)).toEqual(newestFirst.slice(2, 4));
    const last = await merchant.test.rateCards.list({ limit: 2, startingAfter: second.nextCursor! });
    expect(last.data.map((card) => card.id)).toEqual(newestFirst.slice(4));
    expect(last).toMatchObject({ hasMore: false, nextCursor: null });

    const whole = await merchant.test.rateCards.list({ limit: 100 });
    expect(whole.data).toHaveLength(5);
    for (const card of whole.data) expect(card).toEqual(await merchant.test.rateCards.retrieve(card.id));
    expect(whole.data.find((card) => card.id === created[1]!.id)?.latestVersion).toBe(2);
    expect(await listAllIds(merchant.test, 2)).toEqual(newestFirst);
    // The default page (20) holds them all.
    expect((await merchant.test.rateCards.list()).data.map((card) => card.id)).toEqual(newestFirst);
  });

  it("keeps sandbox, live and other merchants apart", async () => {
    const merchant = await merchantOf(shared);
    const other = await merchantOf(shared, "Other");
    const sandbox = await createCard(merchant.test, "sandbox card");
    const live = await createCard(merchant.live, "live card");
    const theirs = await createCard(other.test, "someone else's card");

    expect(await listAllIds(merchant.test)).toEqual([sandbox.id]);
    expect(await listAllIds(merchant.live)).toEqual([live.id]);
    expect(await listAllIds(other.test)).toEqual([theirs.id]);
    expect(await listAllIds(other.live)).toEqual([]);
    // Each environment's cards are retrieved only there, as they are listed only there.
    expect(await problemOf(merchant.live.rateCards.retrieve(sandbox.id))).toEqual({
      status: 404,
      code: "rate_card_not_found",
    });
  });

  it("refuses a bad page size or cursor with 400 invalid_request as problem+json, and needs an API key", async () => {
    const merchant = await merchantOf(shared);
    await createCard(merchant.test, "one");
    for (const limit of [0, 101, 1.5])
      expect(await problemOf(merchant.test.rateCards.list({ limit }))).toEqual({
        status: 400,
        code: "invalid_request",
      });
    for (const startingAfter of ["rc_abc", "-1", "12345678901234567"])
      expect(await problemOf(merchant.test.rateCards.list({ startingAfter }))).toEqual({
        status: 400,
        code: "invalid_request",
      });

    const bad = await fetch(`${shared.url}/v1/rate-cards?limit=abc`, {
      headers: { Authorization: `Bearer ${merchant.apiKeys.test}` },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(await bad.json()).toMatchObject({ code: "invalid_request", status: 400 });

    const anonymous = await fetch(`${shared.url}/v1/rate-cards`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: "unauthorized" });
  });
});

describe("the rate card list across restarts", () => {
  it("lists the same cards in the same order after a restart, and new ones ahead of them", async () => {
    const dataDir = (await tempDir()).path;
    let server = await start(dataDir);
    let merchant = await merchantOf(server);
    const { apiKeys } = merchant;
    for (const name of ["a", "b", "c"]) await createCard(merchant.test, name);
    await createCard(merchant.live, "live");
    const before = await merchant.test.rateCards.list();
    const liveBefore = await listAllIds(merchant.live);
    await stop(server);

    server = await start(dataDir);
    merchant = {
      apiKeys,
      test: clientOf(server.url, apiKeys.test),
      live: clientOf(server.url, apiKeys.live),
    };
    expect(await merchant.test.rateCards.list()).toEqual(before);
    expect(await listAllIds(merchant.live)).toEqual(liveBefore);
    const after = await createCard(merchant.test, "d");
    expect(await listAllIds(merchant.test, 1)).toEqual([after.id, ...before.data.map((card) => card.id)]);
  });

  it("lists cards created before the list existed: a ledger without list entries gets them on open", async () => {
    const dataDir = (await tempDir()).path;
    let server = await start(dataDir);
    const merchant = await merchantOf(server);
    for (const name of ["a", "b", "c"]) await createCard(merchant.test, name);
    await createCard(merchant.live, "live");
    const before = await listAllIds(merchant.test);
    const liveBefore = await listAllIds(merchant.live);
    await stop(server);
    // As an earlier version left the store: cards, and no list entries nor the mark that they were made.
    let removed = 0;
    await editStore(dataDir, async (db) => {
      for await (const key of db.keys({ gte: "x!rcl!", lt: "x!rcl~" })) {
        await db.del(key);
        removed += 1;
      }
      await db.del("m!rate_card_list");
    });
    expect(removed).toBe(4);

    server = await start(dataDir);
    expect(await listAllIds(clientOf(server.url, merchant.apiKeys.test), 2)).toEqual(before);
    expect(await listAllIds(clientOf(server.url, merchant.apiKeys.live))).toEqual(liveBefore);
  });

  it("after a SIGKILL amid creates, lists exactly the cards the ledger holds, every acknowledged one among them", async () => {
    const dataDir = (await tempDir()).path;
    const child = await startChildServer({ dataDir, adminToken });
    const { apiKeys } = await merchantOf(child, "Crash");
    const client = clientOf(child.url, apiKeys.test);
    // Creates run back to back on several connections, so some are in flight when the server dies.
    const acknowledged: string[] = [];
    let cutShort = 0;
    const creator = async (worker: number) => {
      for (let i = 0; ; i++) {
        try {
          acknowledged.push((await createCard(client, `card ${worker}.${i}`)).id);
        } catch {
          cutShort += 1;
          return;
        }
      }
    };
    const creators = Promise.all(Array.from({ length: 8 }, (_, worker) => creator(worker)));
    while (acknowledged.length < 30) await new Promise((resolve) => setTimeout(resolve, 2));
    await child.kill();
    await creators;
    expect(cutShort).toBe(8);

    const server = await start(dataDir);
    const listed = await listAllIds(clientOf(server.url, apiKeys.test), 7);
    const inLedger: string[] = [];
    for await (const record of server.runtime.log.scan(1)) {
      if (record.command.type === "rate_card.create") inLedger.push(String(record.command.rateCardId));
    }
    expect(listed).toEqual(inLedger.reverse());
    expect(listed).toEqual(expect.arrayContaining(acknowledged));
  });
});
