import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MerchantBalances, RecordFeed, type CommittedRecord } from "../actors/index.js";
import { posting } from "../domain/postings.js";
import { Log } from "../wal/log.js";
import { tempDir } from "./support/tempDir.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let log: Log;
let feed: RecordFeed;
let balances: MerchantBalances;

beforeEach(async () => {
  dir = await tempDir();
  log = await Log.open(dir.path);
  feed = new RecordFeed();
  balances = new MerchantBalances(log, feed);
});

afterEach(async () => {
  await log.close();
  await dir.remove();
});

/** A durable record paying `micros` into a merchant's payable from outside payers. */
function pay(merchantId: string, micros: bigint, currency = "CNY"): Promise<CommittedRecord> {
  return log.append(
    {
      env: "test",
      merchantId,
      entity: `test:${merchantId}`,
      command: { type: "test.pay" },
      facts: [{ type: "test.paid" }],
      postings: [
        posting("test:external:payers", currency, -micros),
        posting(`test:merchant:${merchantId}:payable`, currency, micros),
      ],
      keys: [],
    },
    log.now(),
  );
}

async function payable(merchantId: string, currency = "CNY") {
  const view = await balances.read("test", merchantId);
  const found = view.currencies.find((c) => c.currency === currency);
  return { seq: view.throughSeq, micros: found?.accountsMicros.get(`test:merchant:${merchantId}:payable`) };
}

describe("merchant balances folded from postings", () => {
  it("folds published records in order, and takes the rest from the log: once each, whatever the feed does", async () => {
    feed.publish(await pay("mer_a", 1n));
    const [second, third] = await Promise.all([pay("mer_a", 10n), pay("mer_a", 100n)]);
    feed.publish(third); // out of order: left for the log
    feed.publish(second);
    expect(await payable("mer_a")).toEqual({ seq: 3, micros: 111n });

    await pay("mer_a", 1_000n); // never published
    const fifth = await pay("mer_b", 7n);
    feed.publish(fifth);
    expect(await payable("mer_a")).toEqual({ seq: 5, micros: 1_111n });
    feed.publish(fifth); // published twice
    feed.publish(await pay("mer_a", 10_000n, "USD"));
    expect(await payable("mer_a")).toEqual({ seq: 6, micros: 1_111n });
    expect(await payable("mer_a", "USD")).toEqual({ seq: 6, micros: 10_000n });
    expect(await payable("mer_b")).toEqual({ seq: 6, micros: 7n });
    expect((await balances.read("test", "mer_c")).currencies).toEqual([]);
    expect((await balances.read("live", "mer_a")).currencies).toEqual([]);
  });

  it("a ledger written before it existed is folded on the first read; records published meanwhile wait for the log", async () => {
    for (let i = 0; i < 2_500; i++) void pay("mer_a", 1n);
    await log.flush();
    const late = new MerchantBalances(log, feed);
    const reading = late.read("test", "mer_a");
    feed.publish(await pay("mer_a", 1n)); // while the first read folds the log
    expect((await reading).throughSeq).toBeGreaterThanOrEqual(2_500);
    const view = await late.read("test", "mer_a");
    expect(view.throughSeq).toBe(2_501);
    expect(view.currencies[0]?.accountsMicros.get("test:merchant:mer_a:payable")).toBe(2_501n);
  });
});
