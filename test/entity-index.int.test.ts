import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { entityIndexDir, keys, Log, LogIntegrityError } from "../wal/index.js";
import { draft } from "./support/draft.js";
import { slowIndexWrites } from "./support/slowWrites.js";
import { editStore } from "./support/editStore.js";
import { tempDir } from "./support/tempDir.js";

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

/** Records 1..count; record n names `wallet:cus_<n % 7>`, and every third also touches `wallet:shared`. */
async function writeRecords(log: Log, from: number, count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const n = from + i;
      const base = draft(n);
      return log.append(n % 3 === 0 ? { ...base, touches: ["wallet:shared"] } : base, log.now());
    }),
  );
}

/** What the index should say for `entity` in a log of records 1..count written by writeRecords. */
function expectedSeqs(entity: string, count: number): number[] {
  const seqs = Array.from({ length: count }, (_, i) => i + 1);
  if (entity === "wallet:shared") return seqs.filter((n) => n % 3 === 0);
  return seqs.filter((n) => `wallet:cus_${n % 7}` === entity);
}

const entities = ["wallet:cus_0", "wallet:cus_3", "wallet:shared"];

async function expectComplete(log: Log, count: number): Promise<void> {
  for (const entity of entities) expect(await log.entitySeqs(entity)).toEqual(expectedSeqs(entity, count));
}

const withStore = editStore;

/** The entity index's own store inside an open ledger. */
async function keysOf(path: string, gte: string, lt: string): Promise<string[]> {
  let found: string[] = [];
  await withStore(path, async (db) => {
    found = await db.keys({ gte, lt }).all();
  });
  return found;
}

describe("entity index", () => {
  it("lists a record under its entity and every entity it touches as soon as its append resolves", async () => {
    const log = await Log.open(dir.path);
    const record = await log.append({ ...draft(1), touches: ["wallet:a", "wallet:b"] }, log.now());
    for (const entity of ["wallet:cus_1", "wallet:a", "wallet:b"])
      expect(await log.entitySeqs(entity)).toEqual([record.seq]);
    await writeRecords(log, 2, 40);
    expect(await log.entitySeqs("wallet:shared", { reverse: true, limit: 2 })).toEqual([39, 36]);
    expect(await log.entitySeqs("wallet:shared", { afterSeq: 30, beforeSeq: 39 })).toEqual([33, 36]);
    await log.close();
  });

  it("keeps the ledger's own store free of index keys", async () => {
    const log = await Log.open(dir.path);
    await writeRecords(log, 1, 30);
    await log.close();
    expect(await keysOf(dir.path, "e!", "e~")).toEqual([]);
    expect(await keysOf(entityIndexDir(dir.path), "e!", "e~")).not.toHaveLength(0);
  });

  it("rebuilds a lost index from the log on open", async () => {
    const log = await Log.open(dir.path);
    await writeRecords(log, 1, 60);
    await log.close();
    await rm(entityIndexDir(dir.path), { recursive: true });
    const reopened = await Log.open(dir.path);
    await expectComplete(reopened, 60);
    await reopened.close();
  });

  it("lists on open the records written after its last write landed (a crash before the index write)", async () => {
    const log = await Log.open(dir.path);
    await writeRecords(log, 1, 60);
    await log.close();
    // As if the process stopped after record 60 was durable but before the index heard of 45..60.
    await withStore(entityIndexDir(dir.path), async (db) => {
      const batch = db.batch();
      for (const entity of [...entities, ...Array.from({ length: 7 }, (_, i) => `wallet:cus_${i}`)])
        for (let seq = 45; seq <= 60; seq++) batch.del(keys.entityRecord(entity, seq));
      batch.put(keys.meta("indexed_through"), "44");
      await batch.write();
    });
    const reopened = await Log.open(dir.path);
    await expectComplete(reopened, 60);
    expect(reopened.indexRepair).toEqual({ listedRecords: 16, rebuilt: null });
    await writeRecords(reopened, 61, 9);
    await expectComplete(reopened, 69);
    await reopened.close();
  });

  it("stops the ledger from opening when it lists records beyond the log's head, until the operator deletes it", async () => {
    const log = await Log.open(dir.path);
    await writeRecords(log, 1, 20);
    await log.close();
    await withStore(entityIndexDir(dir.path), async (db) => {
      await db.put(keys.entityRecord("wallet:cus_0", 99), "");
      await db.put(keys.meta("indexed_through"), "99");
    });
    const refused = await Log.open(dir.path).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LogIntegrityError);
    expect(refused).toMatchObject({ seq: 21, problem: "index_ahead_of_log" });
    expect((refused as Error).message).toMatch(
      /lists ledger records up to 99, but the ledger ends at 20: records 21–99 were durable and are lost/,
    );
    // The evidence is kept: a second start refuses alike.
    await expect(Log.open(dir.path)).rejects.toMatchObject({ problem: "index_ahead_of_log" });

    // The operator chose this ledger: without the index, it is built again and the ledger serves.
    await rm(entityIndexDir(dir.path), { recursive: true });
    const reopened = await Log.open(dir.path);
    await expectComplete(reopened, 20);
    await writeRecords(reopened, 21, 5);
    await expectComplete(reopened, 25);
    await reopened.close();
  });

  it("throws away an index LevelDB cannot open, and builds it again", async () => {
    const log = await Log.open(dir.path);
    await writeRecords(log, 1, 40);
    await log.close();
    const indexDir = entityIndexDir(dir.path);
    const manifest = (await readdir(indexDir)).find((name) => name.startsWith("MANIFEST-"));
    await writeFile(join(indexDir, manifest ?? "MANIFEST-000000"), "not a manifest");
    const reopened = await Log.open(dir.path);
    await expectComplete(reopened, 40);
    expect(reopened.indexRepair.listedRecords).toBe(40);
    expect(reopened.indexRepair.rebuilt).toMatch(/^it could not be opened \(Corruption: /);
    await reopened.close();
  });

  it("takes over a ledger whose index was kept in its own store, and removes those keys", async () => {
    const log = await Log.open(dir.path);
    await writeRecords(log, 1, 30);
    await log.close();
    let legacy: string[] = [];
    await withStore(entityIndexDir(dir.path), async (db) => {
      legacy = await db.keys({ gte: "e!", lt: "e~" }).all();
    });
    await rm(entityIndexDir(dir.path), { recursive: true });
    await withStore(dir.path, async (db) => {
      const batch = db.batch();
      for (const key of legacy) batch.put(key, "");
      await batch.write();
    });
    const reopened = await Log.open(dir.path);
    await reopened.verified;
    await expectComplete(reopened, 30);
    expect(reopened.indexRepair).toEqual({
      listedRecords: 30,
      rebuilt: "it was kept in the ledger's own store",
    });
    await reopened.close();
    expect(await keysOf(dir.path, "e!", "e~")).toEqual([]);
  });

  it("answers readers during deferred verification with the whole index", async () => {
    const log = await Log.open(dir.path);
    await writeRecords(log, 1, 50);
    await log.close();
    await rm(entityIndexDir(dir.path), { recursive: true });
    const reopened = await Log.open(dir.path, { deferVerification: true, parallelVerifyMinRecords: 1 });
    await expectComplete(reopened, 50);
    await reopened.verified;
    await reopened.close();
  });

  it("answers a reader once the entries handed over before it asked are written, under a stream of appends", async () => {
    const log = await Log.open(dir.path);
    await writeRecords(log, 1, 30);
    // An index slower to write than the log (a busy disk): each of its writes finds more waiting.
    const slowed = slowIndexWrites(20);
    // Appends keep coming from many writers (to another wallet), the index writing all along.
    let appending = true;
    let streamed = 0;
    const stream = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (appending) {
          await Promise.all(Array.from({ length: 20 }, () => log.append(draft(1), log.now())));
          streamed += 20;
        }
      }),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const startedAt = performance.now();
      expect(await log.entitySeqs("wallet:shared")).toEqual(expectedSeqs("wallet:shared", 30));
      // Not held until the stream stops: it waited only for what was handed over before it asked.
      expect(performance.now() - startedAt).toBeLessThan(500);
      expect(streamed).toBeGreaterThan(0);
    } finally {
      appending = false;
      await stream;
      slowed.mockRestore();
    }
    await log.close();
  });

  describe("values kept beside the entries", () => {
    const entriesOf = async (log: Log, entity: string, options = {}) => {
      const found: Array<{ seq: number; value: string }> = [];
      for await (const entry of log.entityEntries(entity, options)) found.push(entry);
      return found;
    };

    it("keeps the owner's values beside listed entries, read lazily with them", async () => {
      const log = await Log.open(dir.path, { entryValuesFormat: "share-1" });
      await writeRecords(log, 1, 12);
      await log.keepEntryValues(6, new Map([["wallet:shared", "six"]]));
      await log.keepEntryValues(12, new Map([["wallet:shared", "twelve"]]));
      // Not listed (beyond the index): nothing is kept.
      await log.keepEntryValues(99, new Map([["wallet:shared", "ninety-nine"]]));
      expect(await entriesOf(log, "wallet:shared")).toEqual([
        { seq: 3, value: "" },
        { seq: 6, value: "six" },
        { seq: 9, value: "" },
        { seq: 12, value: "twelve" },
      ]);
      expect(await entriesOf(log, "wallet:shared", { reverse: true, afterSeq: 3, limit: 2 })).toEqual([
        { seq: 12, value: "twelve" },
        { seq: 9, value: "" },
      ]);
      await log.close();
      const reopened = await Log.open(dir.path, { entryValuesFormat: "share-1" });
      expect((await entriesOf(reopened, "wallet:shared")).map((e) => e.value)).toEqual([
        "",
        "six",
        "",
        "twelve",
      ]);
      expect(reopened.indexRepair.rebuilt).toBeNull();
      await reopened.close();
    });

    it("builds the index again when its values are of another format, and keeps one that has none", async () => {
      // An index from before values were kept: no format, every value "".
      const plain = await Log.open(dir.path);
      await writeRecords(plain, 1, 21);
      await plain.close();
      const first = await Log.open(dir.path, { entryValuesFormat: "share-1" });
      expect(first.indexRepair).toEqual({ listedRecords: 0, rebuilt: null });
      await first.keepEntryValues(9, new Map([["wallet:shared", "nine"]]));
      await first.close();

      const next = await Log.open(dir.path, { entryValuesFormat: "share-2" });
      expect(next.indexRepair).toEqual({
        listedRecords: 21,
        rebuilt: 'its values were in format "share-1", not "share-2"',
      });
      expect((await entriesOf(next, "wallet:shared")).every((e) => e.value === "")).toBe(true);
      await expectComplete(next, 21);
      await next.close();
    });
  });
});
