import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Worker } from "node:worker_threads";
import { decodeRecord, encodeRecord, genesisHash, keys, Log, LogIntegrityError } from "../wal/index.js";
import { draft } from "./support/draft.js";
import { slowLogWrites } from "./support/slowWrites.js";
import { editStore } from "./support/editStore.js";
import { tempDir } from "./support/tempDir.js";

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

async function writeRecords(count: number): Promise<void> {
  const log = await Log.open(dir.path);
  await Promise.all(Array.from({ length: count }, (_, i) => log.append(draft(i + 1), log.now())));
  await log.close();
}

/** Edits the raw store, as disk corruption or a LevelDB silent drop would. */
const tamper = (edit: Parameters<typeof editStore>[1]) => editStore(dir.path, edit);

describe("write-ahead log", () => {
  it("assigns contiguous sequences, chains hashes, and reopens with the same head", async () => {
    const log = await Log.open(dir.path);
    const records = await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.append(draft(i + 1), log.now())),
    );
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (let i = 1; i < records.length; i++) expect(records[i]?.prevHash).toBe(records[i - 1]?.hash);
    const head = log.head;
    await log.close();
    const reopened = await Log.open(dir.path);
    expect(reopened.head).toEqual(head);
    const scanned = [];
    for await (const r of reopened.scan(1)) scanned.push(r.seq);
    expect(scanned).toHaveLength(50);
    await reopened.close();
  });

  it("group commit puts concurrent appends into few synced batches", async () => {
    const log = await Log.open(dir.path);
    await Promise.all(Array.from({ length: 2_000 }, (_, i) => log.append(draft(i + 1), log.now())));
    expect(log.stats.records).toBe(2_000);
    expect(log.stats.batches).toBeLessThan(20);
    await log.close();
  });

  it("resolves an append only once its batch is durable, in sequence order", async () => {
    const log = await Log.open(dir.path);
    const resolved: number[] = [];
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        log.append(draft(i + 1), log.now()).then((r) => {
          expect(log.durableHead).toBeGreaterThanOrEqual(r.seq);
          resolved.push(r.seq);
        }),
      ),
    );
    expect(resolved).toEqual([...resolved].sort((a, b) => a - b));
    await log.close();
  });

  it("writes index entries in the same batch as the record", async () => {
    const log = await Log.open(dir.path);
    await log.append(draft(1), log.now(), [{ type: "put", key: "i!test!k1", value: "stored" }]);
    expect(await log.get("i!test!k1")).toBe("stored");
    expect(await log.entitySeqs("wallet:cus_1")).toEqual([1]);
    await log.close();
  });

  it("refuses a second open of the same ledger in this process, and allows it once closed", async () => {
    const log = await Log.open(dir.path);
    await expect(Log.open(dir.path)).rejects.toThrow(/already open in this process/);
    await log.close();
    const reopened = await Log.open(dir.path);
    await reopened.close();
  });

  it("closes once when closed twice at the same time, and refuses appends after", async () => {
    const log = await Log.open(dir.path);
    const appended = log.append(draft(1), log.now());
    await Promise.all([log.close(), log.close()]);
    expect((await appended).seq).toBe(1);
    await expect(log.append(draft(2), log.now())).rejects.toThrow(/closed/);
    await log.close();
    const reopened = await Log.open(dir.path);
    expect(reopened.head.seq).toBe(1);
    await reopened.close();
  });

  it("reads each record's hash once, a few records at a time, however many callers name it", async () => {
    const log = await Log.open(dir.path);
    const records = await Promise.all(
      Array.from({ length: 100 }, (_, i) => log.append(draft(i + 1), log.now())),
    );
    // Many wallets name the same few records (the usage batches that last charged them).
    const asked = Array.from({ length: 1_000 }, (_, i) => ((i * 37) % 100) + 1).concat([999]);
    const reads = vi.spyOn(log.db, "getMany");
    const hashes = await log.hashesAt(asked);
    expect(hashes).toEqual(asked.map((seq) => records[seq - 1]?.hash));
    const keysRead = reads.mock.calls.map(([keys]) => keys.length);
    expect(keysRead.reduce((a, b) => a + b, 0)).toBe(101); // 100 records and the missing 999
    expect(Math.max(...keysRead)).toBeLessThanOrEqual(64);
    await log.close();
  });

  it("flushes what was appended before the call while appends keep arriving", async () => {
    const log = await Log.open(dir.path);
    // A disk slower than the arrivals: every synced write takes 5 ms.
    const slowed = slowLogWrites(5);
    // Arrivals on a timer (requests, not callers awaiting their own appends): some land during
    // every synced write, so the log is never idle.
    let n = 0;
    const appended: Array<Promise<unknown>> = [];
    const arrivals = setInterval(() => {
      for (let i = 0; i < 5; i++) appended.push(log.append(draft(++n), log.now()));
    }, 1);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = log.nextSeq - 1;
      const startedAt = performance.now();
      await log.flush();
      expect(log.durableHead).toBeGreaterThanOrEqual(before);
      expect(performance.now() - startedAt).toBeLessThan(500);
    } finally {
      clearInterval(arrivals);
      await Promise.all(appended);
      slowed.mockRestore();
    }
    await log.close();
  });

  it("refuses appends past its queue bound instead of queueing without end", async () => {
    const log = await Log.open(dir.path, { queueRecordsMax: 10 });
    const appends = Array.from({ length: 15 }, (_, i) =>
      log.append(draft(i + 1), log.now()).then(
        () => "ok",
        (e: Error) => e.name,
      ),
    );
    const outcomes = await Promise.all(appends);
    expect(outcomes.filter((o) => o === "LogOverloadedError")).toHaveLength(5);
    await log.close();
  });

  it("stops (fail-stop) when its writer thread dies and rejects what was waiting", async () => {
    let fatal: unknown = null;
    const log = await Log.open(dir.path, { onFatal: (e) => (fatal = e) });
    await log.append(draft(1), log.now());
    // The thread is private to the log; ending it from outside stands for a crash inside it.
    const waiting = log.append(draft(2), log.now());
    await (log as unknown as { writer: { worker: Worker } }).writer.worker.terminate();
    await expect(waiting).rejects.toThrow(/writer thread exited/);
    expect(String(fatal)).toMatch(/writer thread exited/);
    await expect(log.append(draft(3), log.now())).rejects.toThrow(/stopped/);
    expect(log.durableHead).toBe(1);
    await log.close();
  });

  // Nothing else keeps these processes alive: a log that let go of its writer thread while a caller
  // still waited would end the process early, without an error.
  it.each([
    { mode: "close", printed: ["appended 1000", "closed"] },
    { mode: "leave-open", printed: ["appended 1000", "listed 142"] },
  ])("lets a process that uses only the log finish its work ($mode), then end", async ({ mode, printed }) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "test/support/logProcess.ts", dir.path, mode],
      { timeout: 30_000 },
    );
    expect(stdout.trim().split("\n")).toEqual(printed);
    const reopened = await Log.open(dir.path);
    expect(reopened.head.seq).toBe(1_000);
    await reopened.close();
  });

  it("keeps the chain and the entity index whole when large records are sent at once among small ones", async () => {
    const log = await Log.open(dir.path);
    // Every fifth record is ~300 KB (sent to the writer at once, past 256 KB), touching 50 wallets;
    // the rest are small and wait for the end of the event-loop turn.
    const large = (n: number) => ({
      ...draft(n, "usage:batch"),
      command: { type: "test.command", n, padding: "x".repeat(300_000) },
      touches: Array.from({ length: 50 }, (_, i) => `wallet:cus_${(n + i) % 60}`),
    });
    const appended = await Promise.all(
      Array.from({ length: 100 }, (_, i) => log.append(i % 5 === 4 ? large(i + 1) : draft(i + 1), log.now())),
    );
    expect(appended.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    appended.forEach((record, i) => expect(record.prevHash).toBe(appended[i - 1]?.hash ?? genesisHash));
    expect(await log.entitySeqs("usage:batch")).toEqual([
      5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100,
    ]);
    const touching = appended.filter(
      (r) => r.entity === "wallet:cus_3" || r.touches?.includes("wallet:cus_3"),
    );
    expect(await log.entitySeqs("wallet:cus_3")).toEqual(touching.map((r) => r.seq));
    await log.close();
    // Reopening verifies every checksum and the whole chain.
    const reopened = await Log.open(dir.path);
    expect(reopened.head).toEqual({ seq: 100, hash: appended[99]?.hash, at: appended[99]?.at });
    await reopened.close();
  });

  it("stores each record exactly as encodeRecord writes it, chained to the one before", async () => {
    const log = await Log.open(dir.path);
    const records = await Promise.all([1, 2, 3].map((n) => log.append(draft(n), log.now())));
    await log.append({ ...draft(4), touches: ['wallet:"quoted"', "wallet:b"] }, log.now());
    let prevHash = genesisHash;
    const hashes: string[] = [];
    for (let seq = 1; seq <= 4; seq++) {
      const stored = await log.db.get(keys.record(seq));
      const record = await log.getRecord(seq);
      if (!record || stored === undefined) throw new Error(`record ${seq} missing`);
      const { hash, ...body } = record;
      expect(body.prevHash).toBe(prevHash);
      expect(encodeRecord(body)).toEqual({ value: stored, hash });
      prevHash = hash;
      hashes.push(hash);
    }
    expect(records.map((r) => [r.prevHash, r.hash])).toEqual([
      [genesisHash, hashes[0]],
      [hashes[0], hashes[1]],
      [hashes[1], hashes[2]],
    ]);
    expect(log.head.hash).toBe(prevHash);
    await log.close();
  });
});

// Integrity checks on the main thread (short logs) and in worker threads, a range each (long logs):
// the worker split puts records 1..5 and 6..10 in different ranges, so 6 sits on a boundary.
describe.each([
  { mode: "on the main thread", options: {} },
  { mode: "in worker threads", options: { parallelVerifyMinRecords: 1 } },
])("verification $mode", ({ options }) => {
  it("stops startup when a record's bytes were changed (bad checksum), naming the sequence", async () => {
    await writeRecords(10);
    await tamper(async (db) => {
      const value = (await db.get(keys.record(4))) ?? "";
      await db.put(keys.record(4), value.replace('"n":4', '"n":5'));
      expect(value).toContain('"n":4');
    });
    await expect(Log.open(dir.path, options)).rejects.toThrow(/ledger record 4 fails its checksum/);
  });

  it("stops startup when a record is missing from the middle (gap)", async () => {
    await writeRecords(10);
    await tamper((db) => db.del(keys.record(6)));
    const error = await Log.open(dir.path, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogIntegrityError);
    expect((error as LogIntegrityError).seq).toBe(6);
    expect((error as LogIntegrityError).problem).toBe("gap");
  });

  it("stops startup when a record was rewritten with a valid checksum but no longer chains (broken chain)", async () => {
    await writeRecords(10);
    await tamper(async (db) => {
      const decoded = decodeRecord((await db.get(keys.record(8))) ?? "");
      if (!decoded.ok) throw new Error("unreadable");
      const { hash: _hash, ...body } = decoded.record;
      await db.put(keys.record(8), encodeRecord({ ...body, prevHash: "f".repeat(64) }).value);
    });
    await expect(Log.open(dir.path, options)).rejects.toThrow(/ledger record 8 does not chain to record 7/);
  });

  it("stops startup when the first record of a range no longer chains to the range before", async () => {
    await writeRecords(10);
    await tamper(async (db) => {
      const decoded = decodeRecord((await db.get(keys.record(6))) ?? "");
      if (!decoded.ok) throw new Error("unreadable");
      const { hash: _hash, ...body } = decoded.record;
      await db.put(keys.record(6), encodeRecord({ ...body, prevHash: "e".repeat(64) }).value);
    });
    const error = await Log.open(dir.path, options).catch((e: unknown) => e);
    expect((error as LogIntegrityError).problem).toBe("broken_chain");
    expect((error as LogIntegrityError).seq).toBe(6);
  });

  it("opens a log of one record", async () => {
    await writeRecords(1);
    const reopened = await Log.open(dir.path, options);
    expect(reopened.head.seq).toBe(1);
    await reopened.close();
  });

  it("opens a sound log with the head it was closed with", async () => {
    await writeRecords(25);
    const log = await Log.open(dir.path);
    const head = log.head;
    await log.close();
    const reopened = await Log.open(dir.path, options);
    expect(reopened.head).toEqual(head);
    await reopened.close();
  });
});

describe("deferred verification", () => {
  it("answers open at once, refuses appends until verified, then accepts them", async () => {
    await writeRecords(10);
    const log = await Log.open(dir.path, { deferVerification: true, parallelVerifyMinRecords: 1 });
    expect(log.head.seq).toBe(10);
    await expect(log.append(draft(11), log.now())).rejects.toThrow(/still being verified/);
    await log.verified;
    const record = await log.append(draft(11), log.now());
    expect(record.seq).toBe(11);
    await log.close();
  });

  it("rejects `verified` with the integrity error and keeps refusing appends", async () => {
    await writeRecords(10);
    await tamper((db) => db.del(keys.record(3)));
    const log = await Log.open(dir.path, { deferVerification: true, parallelVerifyMinRecords: 1 });
    const error = await log.verified.catch((e: unknown) => e);
    expect((error as LogIntegrityError).problem).toBe("gap");
    expect((error as LogIntegrityError).seq).toBe(3);
    await expect(log.append(draft(11), log.now())).rejects.toThrow(/could not be verified/);
    await log.close();
  });

  it("closes while workers are still verifying", async () => {
    await writeRecords(10);
    const log = await Log.open(dir.path, { deferVerification: true, parallelVerifyMinRecords: 1 });
    await log.close();
    await expect(log.verified).rejects.toThrow();
  });
});
