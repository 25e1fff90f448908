import { rm } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LogIntegrityError, ReplayDivergedError, type Runtime } from "../actors/index.js";
import { decodeRecord, encodeRecord, entityIndexDir, keys, Log, type LogRecord } from "../wal/index.js";
import { debitOf, grantOf, openRuntime, seedCustomers } from "./support/runtimeFixture.js";
import { editStore } from "./support/editStore.js";
import { tempDir } from "./support/tempDir.js";

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

const yuan = (n: number) => BigInt(n) * 1_000_000n;

describe("restart, snapshots and replay", () => {
  it("restart after a clean close: latest snapshot + tail gives the same balances", async () => {
    const runtime = await openRuntime(dir.path, { snapshotIntervalRecords: 15 });
    const { customers } = await seedCustomers(runtime, 5);
    for (const c of customers) await runtime.wallets.execute(c, grantOf(yuan(100)));
    for (let i = 0; i < 40; i++) await runtime.wallets.execute(customers[i % 5]!, debitOf(yuan(1)));
    const before = await Promise.all(customers.map((c) => runtime.wallets.state(c)));
    await runtime.close();

    const reopened = await openRuntime(dir.path);
    expect(reopened.recovery.headSeq).toBe(runtime.log.head.seq);
    const after = await Promise.all(customers.map((c) => reopened.wallets.state(c)));
    expect(after).toEqual(before);
    expect(after.map((s) => s.context.balanceMicros)).toEqual(Array(5).fill(yuan(92)));
    await reopened.close();
  });

  it("closes once when asked twice, together or one after the other (a signal during shutdown)", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 2);
    await runtime.wallets.execute(customers[0]!, grantOf(yuan(5)));
    await Promise.all([runtime.close(), runtime.close()]);
    await runtime.close();

    const reopened = await openRuntime(dir.path);
    expect(reopened.recovery.replayedRecords).toBe(0);
    expect((await reopened.wallets.state(customers[0]!)).context.balanceMicros).toBe(yuan(5));
    await reopened.close();
  });

  it("restart without any snapshot (crash before the first checkpoint) replays every record", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 3);
    for (const c of customers) await runtime.wallets.execute(c, grantOf(yuan(10)));
    await runtime.wallets.execute(customers[0]!, debitOf(yuan(4)));
    await runtime.log.flush();
    // Simulate a crash: close the store without the runtime's checkpoint.
    await runtime.log.close();

    const reopened = await openRuntime(dir.path);
    expect(reopened.recovery.checkpointSeq).toBe(0);
    expect(reopened.recovery.replayedEntities).toBe(3);
    expect((await reopened.wallets.state(customers[0]!)).context.balanceMicros).toBe(yuan(6));
    await reopened.close();
  });

  it("passivates idle wallets past the resident bound and rehydrates them from snapshot + tail", async () => {
    const runtime = await openRuntime(dir.path, { residentWalletsMax: 3 });
    const { customers } = await seedCustomers(runtime, 10);
    for (const c of customers) await runtime.wallets.execute(c, grantOf(yuan(50)));
    expect(runtime.wallets.registry.residentCount).toBeLessThanOrEqual(3);
    for (const c of customers) await runtime.wallets.execute(c, debitOf(yuan(5)));
    const balances = await Promise.all(
      customers.map(async (c) => (await runtime.wallets.state(c)).context.balanceMicros),
    );
    expect(balances).toEqual(Array(10).fill(yuan(45)));
    expect(runtime.wallets.registry.residentCount).toBeLessThanOrEqual(3);
    await runtime.close();
  });

  it("passivates a wallet left idle before one used since the last eviction walk", async () => {
    const runtime = await openRuntime(dir.path, { residentWalletsMax: 4 });
    const { customers } = await seedCustomers(runtime, 5);
    for (const c of customers.slice(0, 4)) await runtime.wallets.execute(c, grantOf(yuan(10)));
    // The oldest resident is used again; the second oldest is not.
    await runtime.wallets.execute(customers[0]!, debitOf(yuan(1)));
    await runtime.wallets.execute(customers[4]!, grantOf(yuan(10)));

    const resident = (i: number) => {
      const found = runtime.wallets.registry.pinIfResident(`wallet:${customers[i]!.id}`);
      if (found) runtime.wallets.registry.unpin(found);
      return found !== undefined;
    };
    expect(runtime.wallets.registry.residentCount).toBe(4);
    expect([0, 1, 2, 3, 4].map(resident)).toEqual([true, false, true, true, true]);
    // Passivated, not lost: it comes back from its snapshot.
    expect((await runtime.wallets.state(customers[1]!)).context.balanceMicros).toBe(yuan(10));
    expect((await runtime.wallets.state(customers[0]!)).context.balanceMicros).toBe(yuan(9));
    await runtime.close();
  });

  it("recovers wallets passivated after the last checkpoint (their snapshots are newer than it)", async () => {
    const runtime = await openRuntime(dir.path, { residentWalletsMax: 2 });
    const { customers } = await seedCustomers(runtime, 6);
    for (const c of customers) await runtime.wallets.execute(c, grantOf(yuan(50)));
    await runtime.checkpoint();
    const checkpointSeq = runtime.log.head.seq;
    // Past the checkpoint: each debit loads a wallet and passivates another, snapshotting it.
    for (let round = 0; round < 3; round++)
      for (const c of customers) await runtime.wallets.execute(c, debitOf(yuan(round + 1)));
    await runtime.log.flush();
    await runtime.log.close(); // a crash: no checkpoint at close

    // Recovery starts each passivated wallet from its newer snapshot: no record before the
    // checkpoint is read back to rebuild it.
    const decoded = vi.spyOn(Log.prototype, "getRecord");
    let reopened: Runtime;
    try {
      reopened = await openRuntime(dir.path, { residentWalletsMax: 2 });
      expect(decoded.mock.calls.filter(([seq]) => seq < checkpointSeq)).toEqual([]);
    } finally {
      decoded.mockRestore();
    }
    const balances = await Promise.all(
      customers.map(async (c) => (await reopened.wallets.state(c)).context.balanceMicros),
    );
    expect(balances).toEqual(Array(6).fill(yuan(44)));
    await reopened.close();
  });

  it("rehydrates a passivated wallet without decoding the record its snapshot names", async () => {
    const runtime = await openRuntime(dir.path, { residentWalletsMax: 2 });
    const { customers } = await seedCustomers(runtime, 4);
    for (const c of customers) await runtime.wallets.execute(c, grantOf(yuan(20)));
    for (const c of customers) await runtime.wallets.execute(c, debitOf(yuan(3)));
    const first = customers[0]!;
    const [anchorSeq] = await runtime.log.entitySeqs(`wallet:${first.id}`, { reverse: true, limit: 1 });
    expect(runtime.wallets.registry.residentCount).toBeLessThanOrEqual(2); // the first was passivated

    const decoded = vi.spyOn(runtime.log, "getRecord");
    const headers = vi.spyOn(runtime.log, "hashesAt");
    // Its snapshot was written since this log was opened: taken as it is.
    expect((await runtime.wallets.state(first)).context.balanceMicros).toBe(yuan(17));
    expect(decoded).not.toHaveBeenCalled();
    expect(headers).not.toHaveBeenCalled();
    await runtime.close();

    // After a restart the snapshot is from an earlier opening: checked against the record's header
    // line and the entity index, still without decoding the record.
    const reopened = await openRuntime(dir.path, { residentWalletsMax: 2 });
    for (const c of customers.slice(1)) await reopened.wallets.state(c); // passivates the first again
    const decodedAfter = vi.spyOn(reopened.log, "getRecord");
    const headersAfter = vi.spyOn(reopened.log, "hashesAt");
    expect((await reopened.wallets.state(first)).context.balanceMicros).toBe(yuan(17));
    expect(headersAfter.mock.calls).toContainEqual([[anchorSeq]]);
    expect(decodedAfter.mock.calls.filter(([seq]) => seq === anchorSeq)).toEqual([]);
    await reopened.close();
  });

  it("ignores a snapshot that no longer matches the log and replays from the entity's first record", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 1);
    const customer = customers[0]!;
    await runtime.wallets.execute(customer, grantOf(yuan(30)));
    await runtime.close();
    await editStore(dir.path, async (db) => {
      const snapshot = JSON.parse((await db.get(keys.snapshot(`wallet:${customer.id}`))) ?? "{}") as Record<
        string,
        unknown
      >;
      // A snapshot claiming a different balance, and a hash that matches nothing.
      await db.put(
        keys.snapshot(`wallet:${customer.id}`),
        JSON.stringify({
          ...snapshot,
          hash: "0".repeat(64),
          context: { balanceMicros: "999", reservedMicros: "0", reservations: {} },
        }),
      );
    });
    const reopened = await openRuntime(dir.path);
    expect((await reopened.wallets.state(customer)).context.balanceMicros).toBe(yuan(30));
    await reopened.close();
  });

  it("does not use a snapshot whose bytes changed, though it names the right record: the log is replayed", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 1);
    const customer = customers[0]!;
    await runtime.wallets.execute(customer, grantOf(yuan(30)));
    await runtime.close();
    await editStore(dir.path, async (db) => {
      const key = keys.snapshot(`wallet:${customer.id}`);
      const stored = (await db.get(key)) ?? "";
      expect(stored).toContain(`"balanceMicros":"${yuan(30)}"`);
      await db.put(key, stored.replace(`"balanceMicros":"${yuan(30)}"`, `"balanceMicros":"${yuan(130)}"`));
    });
    const reopened = await openRuntime(dir.path);
    expect((await reopened.wallets.state(customer)).context.balanceMicros).toBe(yuan(30));
    await reopened.close();
  });

  it("stops startup when replay does not reproduce a recorded fact", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 1);
    await runtime.wallets.execute(customers[0]!, grantOf(yuan(30)));
    const last = runtime.log.head.seq;
    await runtime.log.close();
    await editStore(dir.path, async (db) => {
      const decoded = decodeRecord((await db.get(keys.record(last))) ?? "");
      if (!decoded.ok) throw new Error("unreadable");
      const { hash: _hash, ...body } = decoded.record;
      // The last record, rewritten consistently (valid checksum and chain) but claiming a bigger grant in its facts.
      const forged = { ...body, facts: [{ ...body.facts[0], amountMicros: String(yuan(31)) }] };
      await db.put(keys.record(last), encodeRecord(forged as LogRecord).value);
    });
    const error = await openRuntime(dir.path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayDivergedError);
    expect((error as ReplayDivergedError).seq).toBe(last);
  });

  it("stops startup for a changed record before the checkpoint, which no snapshot replay reads", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 2);
    for (const c of customers) await runtime.wallets.execute(c, grantOf(yuan(30)));
    for (const c of customers) await runtime.wallets.execute(c, debitOf(yuan(1)));
    const early = runtime.log.head.seq - 2;
    await runtime.close(); // snapshots of both wallets and a checkpoint at the head
    await editStore(dir.path, async (db) => {
      const value = (await db.get(keys.record(early))) ?? "";
      await db.put(
        keys.record(early),
        value.replace('"amountMicros":"30000000"', '"amountMicros":"31000000"'),
      );
    });
    for (const parallelVerifyMinRecords of [Infinity, 1]) {
      const error = await openRuntime(dir.path, { log: { parallelVerifyMinRecords } }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LogIntegrityError);
      expect((error as LogIntegrityError).seq).toBe(early);
      expect((error as LogIntegrityError).problem).toBe("bad_checksum");
    }
  });

  it("stops startup for a record rewritten with a fresh hash and its successor's header patched to match", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 2);
    for (const c of customers) await runtime.wallets.execute(c, grantOf(yuan(30)));
    for (const c of customers) await runtime.wallets.execute(c, debitOf(yuan(1)));
    const early = runtime.log.head.seq - 2;
    await runtime.close();
    await editStore(dir.path, async (db) => {
      const decoded = decodeRecord((await db.get(keys.record(early))) ?? "");
      if (!decoded.ok) throw new Error("unreadable");
      const { hash: _hash, ...body } = decoded.record;
      const forged = encodeRecord({
        ...body,
        facts: [{ ...body.facts[0], amountMicros: "31000000" }],
      } as LogRecord);
      await db.put(keys.record(early), forged.value);
      // The next record's header now names the forged hash; its hashed body still names the original.
      const next = (await db.get(keys.record(early + 1))) ?? "";
      await db.put(keys.record(early + 1), `${next.slice(0, 65)}${forged.hash}${next.slice(129)}`);
    });
    for (const parallelVerifyMinRecords of [Infinity, 1]) {
      const error = await openRuntime(dir.path, { log: { parallelVerifyMinRecords } }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LogIntegrityError);
      expect(error).toMatchObject({ seq: early + 1, problem: "broken_chain" });
    }
  });

  it("stops startup when the ledger no longer holds its checkpoint's record as it was: lost or rewritten", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 1);
    await runtime.wallets.execute(customers[0]!, grantOf(yuan(30)));
    await runtime.wallets.execute(customers[0]!, debitOf(yuan(3)));
    const head = runtime.log.head.seq;
    await runtime.close(); // a checkpoint at the head
    await editStore(dir.path, async (db) => {
      const value = (await db.get(keys.record(head))) ?? "";
      const decoded = decodeRecord(value);
      if (!decoded.ok) throw new Error("unreadable");
      // The last record rewritten consistently (checksum and chain hold: nothing follows it).
      const { hash: _hash, ...body } = decoded.record;
      const forged = { ...body, facts: [{ ...body.facts[0], amountMicros: String(yuan(2)) }] };
      await db.put(keys.record(head), encodeRecord(forged as LogRecord).value);
    });
    const rewritten = await openRuntime(dir.path).catch((e: unknown) => e);
    expect(rewritten).toBeInstanceOf(LogIntegrityError);
    expect(rewritten).toMatchObject({ seq: head, problem: "checkpoint_mismatch" });

    // The acknowledged debit lost altogether: the ledger now ends before the checkpoint.
    await editStore(dir.path, async (db) => {
      await db.del(keys.record(head));
    });
    // The entity index lists it: that alone stops the start.
    const listed = await openRuntime(dir.path).catch((e: unknown) => e);
    expect(listed).toMatchObject({ seq: head, problem: "index_ahead_of_log" });
    // Without the index, the checkpoint says so too.
    await rm(entityIndexDir(dir.path), { recursive: true });
    const lost = await openRuntime(dir.path).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(LogIntegrityError);
    expect(lost).toMatchObject({ seq: head, problem: "checkpoint_ahead_of_log" });
    expect((lost as Error).message).toMatch(new RegExp(`ends at ${head - 1}: durable records were lost`));
  });

  it("restarts from snapshots with the chain verified by worker threads", async () => {
    const runtime = await openRuntime(dir.path, { snapshotIntervalRecords: 10 });
    const { customers } = await seedCustomers(runtime, 4);
    for (const c of customers) await runtime.wallets.execute(c, grantOf(yuan(20)));
    for (let i = 0; i < 30; i++) await runtime.wallets.execute(customers[i % 4]!, debitOf(yuan(1)));
    const before = await Promise.all(customers.map((c) => runtime.wallets.state(c)));
    await runtime.log.flush();
    await runtime.log.close(); // a crash: the tail after the last checkpoint is replayed

    const reopened = await openRuntime(dir.path, { log: { parallelVerifyMinRecords: 1 } });
    expect(reopened.recovery.replayedRecords).toBeGreaterThan(0);
    expect(await Promise.all(customers.map((c) => reopened.wallets.state(c)))).toEqual(before);
    const after = await reopened.wallets.execute(customers[0]!, debitOf(yuan(1)));
    expect(after.seq).toBe(runtime.log.head.seq + 1);
    await reopened.close();
  });

  it("expires a reservation durably: a restart after its time still releases it, exactly once", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 1);
    const customer = customers[0]!;
    await runtime.wallets.execute(customer, grantOf(yuan(20)));
    await runtime.wallets.execute(customer, ({ at }) => ({
      type: "wallet.reserve",
      reservationId: "rsv_durable",
      amountMicros: yuan(8),
      expiresAt: at + 50,
      transactionId: "wtx_reserve",
      at,
    }));
    await runtime.close();
    await new Promise((resolve) => setTimeout(resolve, 80));

    const reopened = await openRuntime(dir.path);
    expect((await reopened.wallets.state(customer)).context.reservedMicros).toBe(yuan(8));
    expect(await reopened.timers.sweep()).toBe(1);
    expect(await reopened.timers.sweep()).toBe(0);
    const state = await reopened.wallets.state(customer);
    expect(state.context.reservedMicros).toBe(0n);
    expect(state.context.balanceMicros).toBe(yuan(20));
    const entry = await reopened.wallets.reservation("test", customer, "rsv_durable");
    expect(entry.status).toBe("expired");
    await reopened.close();
  });

  it("releases holds that expired while it was down before it opens: their funds are available at once", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 1);
    const customer = customers[0]!;
    await runtime.wallets.execute(customer, grantOf(yuan(10)));
    for (const [id, amount] of [
      ["rsv_a", 3],
      ["rsv_b", 4],
    ] as const) {
      await runtime.wallets.execute(customer, ({ at }) => ({
        type: "wallet.reserve",
        reservationId: id,
        amountMicros: yuan(amount),
        expiresAt: at + 50,
        transactionId: `wtx_${id}`,
        at,
      }));
    }
    await runtime.close();
    await new Promise((resolve) => setTimeout(resolve, 80));

    const reopened = await openRuntime(dir.path, { startTimers: true });
    try {
      const state = await reopened.wallets.state(customer);
      expect(state.context.reservedMicros).toBe(0n);
      await reopened.wallets.execute(customer, debitOf(yuan(8)));
      expect((await reopened.wallets.state(customer)).context.balanceMicros).toBe(yuan(2));
    } finally {
      await reopened.close();
    }
  });

  it("a sweep asked for a later time while another runs fires what is due by then", async () => {
    const runtime = await openRuntime(dir.path);
    // A kind of timer that fires by the sweep's time, as payment-order expiries do.
    const prefix = "x!sweep-test!";
    const fired: number[] = [];
    runtime.timers.addKind({
      prefix,
      fire: async (key, _value, now) => {
        fired.push(now);
        await runtime.log.db.del(key);
        return true;
      },
    });
    const due = runtime.log.now() + 3_600_000;
    await runtime.log.db.put(`${prefix}${String(due).padStart(15, "0")}!t1`, "{}");
    // The periodic sweep (now) is still running when a caller sweeps an hour ahead (a test clock).
    const periodic = runtime.timers.sweep();
    const ahead = runtime.timers.sweep(due + 1);
    expect(await periodic).toBe(0);
    expect(await ahead).toBe(1);
    expect(fired).toEqual([due + 1]);
    // One covering an earlier time answers with the sweep in progress.
    const first = runtime.timers.sweep(due + 10);
    expect(runtime.timers.sweep(due + 5)).toBe(first);
    expect(await first).toBe(0);
    await runtime.close();
  });

  it("never overdraws under concurrent debits on one wallet", async () => {
    const runtime = await openRuntime(dir.path);
    const { customers } = await seedCustomers(runtime, 1);
    const customer = customers[0]!;
    await runtime.wallets.execute(customer, grantOf(yuan(10)));
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, () =>
        runtime.wallets.execute(customer, debitOf(300_000n)).then(
          () => "ok",
          (e: { code?: string }) => e.code,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(33);
    expect(outcomes.filter((o) => o === "insufficient_balance")).toHaveLength(67);
    expect((await runtime.wallets.state(customer)).context.balanceMicros).toBe(yuan(10) - 33n * 300_000n);
    await runtime.close();
  });
});

describe("overload", () => {
  it("a command refused for a full commit queue leaves the wallet as it was (no phantom debit)", async () => {
    const runtime = await openRuntime(dir.path, { log: { queueRecordsMax: 2 } });
    const { customers } = await seedCustomers(runtime, 1);
    const customer = customers[0]!;
    await runtime.wallets.execute(customer, grantOf(100n));
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        runtime.wallets.execute(customer, debitOf(10n)).then(
          () => "ok",
          (e: Error) => e.name,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(2);
    expect(outcomes.filter((o) => o === "OverloadedError")).toHaveLength(3);
    await runtime.wallets.execute(customer, debitOf(1n));
    expect((await runtime.wallets.state(customer)).context.balanceMicros).toBe(79n);
    await runtime.log.flush();
    await runtime.log.close();
    const reopened = await openRuntime(dir.path);
    expect((await reopened.wallets.state(customer)).context.balanceMicros).toBe(79n);
    await reopened.close();
  });
});
