import { Level } from "level";
import { Runtime } from "../actors/runtime.js";
import { walletKind } from "../machines/walletKind.js";
import type { EntityState } from "../machines/kind.js";
import type { WalletContext } from "../machines/walletTypes.js";
import { replayRecord } from "../snapshots/replay.js";
import { entityIndexDir } from "../wal/entityIndex.js";
import { keys } from "../wal/keys.js";
import { Log } from "../wal/log.js";
import { benchCustomerId, benchMerchantId, WalletDraftWriter } from "./lib/drafts.js";
import { log, runIfChild, type BenchRow } from "./lib/harness.js";
import { round } from "./lib/stats.js";
import { usageCrashRestart } from "./lib/usageCrash.js";
import { dirBytes, tempDir } from "./lib/tmp.js";

/**
 * 3. Restart. A data dir of up to `recordsWanted` wallet records over `wallets` wallets, then
 *    (a) Log.open verification (sequence, checksum, hash chain) and (b) a full replay from genesis
 *    through the wallet machine, every recorded fact and posting checked. Besides, the real
 *    Runtime.open on a smaller log: once with no checkpoint (crash) and once after a clean close.
 */
const name = "replay";
const wallets = Number(process.env.BENCH_REPLAY_WALLETS ?? 10_000);
const recordsWanted = Number(process.env.BENCH_REPLAY_RECORDS ?? 1_000_000);
const buildBudgetMs = Number(process.env.BENCH_REPLAY_BUILD_MS ?? 30_000);
const replayBudgetMs = Number(process.env.BENCH_REPLAY_MAX_MS ?? 45_000);
const crashRecords = Number(process.env.BENCH_REPLAY_CRASH_RECORDS ?? 50_000);
const crashWallets = Number(process.env.BENCH_REPLAY_CRASH_WALLETS ?? 5_000);
/** Records written after the checkpoint before the crash: the runtime's checkpoint interval. */
const tailRecords = Number(process.env.BENCH_REPLAY_TAIL_RECORDS ?? 50_000);
const usageCustomers = Number(process.env.BENCH_REPLAY_USAGE_CUSTOMERS ?? 10_000);
const usageBatches = Number(process.env.BENCH_REPLAY_USAGE_BATCHES ?? 150);
const usageTailBatches = Number(process.env.BENCH_REPLAY_USAGE_TAIL_BATCHES ?? 50);
/** The passivation run: this many wallets resident at most, a fifth of the customers. */
const usageResident = Number(process.env.BENCH_REPLAY_USAGE_RESIDENT ?? 2_000);
const inFlight = 20_000; // below the log's queue bound (limits.commitQueueRecordsMax)
const grantMicros = 1_000_000_000_000n;
const debitMicros = 10_000n;

/** Writes records round-robin over the wallets (a grant first, then debits) until the count or time bound. */
async function build(
  dir: string,
  count: number,
  walletCount: number,
  budgetMs: number,
  writers: WalletDraftWriter[] = Array.from(
    { length: walletCount },
    (_, i) => new WalletDraftWriter(benchCustomerId(i), benchMerchantId),
  ),
  firstIsGrant = true,
): Promise<{ records: number; ms: number; cpuMs: number; writers: WalletDraftWriter[] }> {
  const wal = await Log.open(dir, {
    onFatal: (error) => {
      throw error;
    },
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  let written = 0;
  let lastReport = started;
  while (written < count && performance.now() - started < budgetMs) {
    const chunk: Array<Promise<unknown>> = [];
    const end = Math.min(count, written + inFlight);
    for (; written < end; written++) {
      const writer = writers[written % walletCount] as WalletDraftWriter;
      const at = wal.now();
      const draft =
        firstIsGrant && written < walletCount ? writer.grant(at, grantMicros) : writer.debit(at, debitMicros);
      chunk.push(wal.append(draft, at));
    }
    await Promise.all(chunk);
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      log(name, `built ${written} records (${((written / (lastReport - started)) * 1000).toFixed(0)}/s)`);
    }
  }
  await wal.close();
  const used = process.cpuUsage(cpu);
  return {
    records: written,
    ms: performance.now() - started,
    cpuMs: (used.user + used.system) / 1000,
    writers,
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

/** (a) + (b) on the big log. */
async function genesis() {
  const dir = await tempDir("replay");
  try {
    log(
      name,
      `building up to ${recordsWanted} records over ${wallets} wallets (time bound ${buildBudgetMs} ms)`,
    );
    const built = await build(dir.path, recordsWanted, wallets, buildBudgetMs);
    const records = built.records;
    const bytes = await dirBytes(dir.path);
    log(
      name,
      `built ${records} records in ${(built.ms / 1000).toFixed(1)} s (${((records / built.ms) * 1000).toFixed(0)}/s), ${(bytes / 1e6).toFixed(0)} MB`,
    );

    const opened = await timed(() => Log.open(dir.path));
    const wal = opened.value;
    if (wal.head.seq !== records)
      throw new Error(`Log.open found ${wal.head.seq} records, expected ${records}`);
    log(name, `(a) Log.open verified ${records} records in ${opened.ms.toFixed(0)} ms`);

    const replayed = await timed(async () => {
      const states = new Map<string, EntityState<WalletContext>>();
      let count = 0;
      const stopAt = performance.now() + replayBudgetMs;
      for await (const record of wal.scan(1)) {
        const before = states.get(record.entity) ?? walletKind.initialState();
        states.set(
          record.entity,
          replayRecord(walletKind, before, record, record.entity.slice("wallet:".length)),
        );
        count += 1;
        if (count % 10_000 === 0 && performance.now() > stopAt) break;
      }
      return { count, states };
    });
    await wal.close();
    const { count, states } = replayed.value;
    if (count === 0) throw new Error("replay saw no records");
    const result = {
      records,
      replayedRecords: count,
      bytes,
      built,
      opened: { ms: opened.ms, cpuMs: opened.cpuMs },
      replayed: { ms: replayed.ms, cpuMs: replayed.cpuMs },
    };
    if (count < records) {
      log(name, `(b) stopped at the time bound after ${count} of ${records} records`);
      return result;
    }
    // The replayed balances must be what the writers wrote.
    let mismatched = 0;
    for (let i = 0; i < wallets; i++) {
      const state = states.get(`wallet:${benchCustomerId(i)}`);
      const perWallet = Math.floor(records / wallets) + (i < records % wallets ? 1 : 0);
      const expected = perWallet === 0 ? 0n : grantMicros - BigInt(perWallet - 1) * debitMicros;
      if ((state?.context.balanceMicros ?? 0n) !== expected) mismatched += 1;
    }
    if (mismatched > 0)
      throw new Error(`replayed balances differ from what was written for ${mismatched} wallets`);
    log(name, `(b) replayed ${records} records (${states.size} wallets) in ${replayed.ms.toFixed(0)} ms`);
    return { ...result, restart: await restartAfterCheckpoint(dir.path, records, built.writers) };
  } finally {
    await dir.remove();
  }
}

/**
 * The restart a running server sees: a checkpoint (snapshots of every wallet) some way back, a tail
 * of records after it, and a crash. Runtime.open verifies the whole log (sequence, checksum, chain)
 * and replays the tail through the machines, checking every fact.
 */
async function restartAfterCheckpoint(dir: string, records: number, writers: WalletDraftWriter[]) {
  const open = () =>
    Runtime.open({ dataDir: dir, adminToken: "bench-admin-token-0123456789", startTimers: false });
  const first = await timed(open);
  await first.value.close(); // writes snapshots of every wallet and the checkpoint
  log(name, `checkpoint written after a cold open of ${records} records (${first.ms.toFixed(0)} ms)`);
  const tail = await build(dir, tailRecords, writers.length, buildBudgetMs, writers, false);
  const restarted = await timed(open);
  const runtime = restarted.value;
  const report = runtime.recovery;
  const sample = writers[0] as WalletDraftWriter;
  const customer = {
    id: sample.customerId,
    externalId: "",
    name: null,
    email: null,
    testClockId: null,
    env: "test" as const,
    merchantId: benchMerchantId,
    createdAt: 0,
  };
  const balance = (await runtime.wallets.state(customer)).context.balanceMicros;
  await runtime.log.close();
  if (balance !== sample.balanceMicros)
    throw new Error("restart rebuilt a different balance than was written");
  const total = records + tail.records;
  log(
    name,
    `restart: ${total} records verified, ${report.replayedRecords} tail records replayed over ${report.replayedEntities} wallets in ${restarted.ms.toFixed(0)} ms`,
  );
  // The same crash restart once LevelDB has compacted what was just written (as after a quiet
  // spell): the measurement above reads the store while its compactions still run.
  await compactStore(dir);
  const rested = await timed(open);
  const restedReplayed = rested.value.recovery.replayedRecords;
  await rested.value.log.close();
  if (restedReplayed !== report.replayedRecords)
    throw new Error(`the restart at rest replayed ${restedReplayed} records, not ${report.replayedRecords}`);
  log(name, `restart of the same log at rest: ${rested.ms.toFixed(0)} ms`);
  return {
    records: total,
    tailRecords: report.replayedRecords,
    tailWallets: report.replayedEntities,
    ms: restarted.ms,
    cpuMs: restarted.cpuMs,
    coldOpenMs: first.ms,
    atRest: { ms: rested.ms, cpuMs: rested.cpuMs },
  };
}

/** Compacts the ledger's store and its entity index (every key prefix sorts between "!" and "~"). */
async function compactStore(dir: string): Promise<void> {
  for (const location of [dir, entityIndexDir(dir)]) {
    const db = new Level<string, string>(location, { keyEncoding: "utf8", valueEncoding: "utf8" });
    await db.open();
    // classic-level (what `level` is on Node) has compactRange; the portable typing leaves it out.
    await (db as unknown as { compactRange(start: string, end: string): Promise<void> }).compactRange(
      "!",
      "~",
    );
    await db.close();
  }
}

/**
 * Runtime.open on a log written without the runtime: the first open finds no checkpoint and
 * recovers every wallet, as after a crash before the first checkpoint; its close writes snapshots
 * and a checkpoint; the second open is a clean restart.
 */
async function runtimeRestart() {
  const dir = await tempDir("restart");
  try {
    const built = await build(dir.path, crashRecords, crashWallets, buildBudgetMs);
    const openOnce = async () => {
      const started = performance.now();
      const runtime = await Runtime.open({
        dataDir: dir.path,
        adminToken: "bench-admin-token-0123456789",
        startTimers: false,
      });
      const ms = performance.now() - started;
      const recovery = runtime.recovery;
      const resident = runtime.wallets.registry.residentCount;
      await runtime.close();
      return { ms, recovery, resident };
    };
    const cold = await openOnce();
    const reopened = await Log.open(dir.path);
    const checkpoint = (await reopened.get(keys.meta("checkpoint"))) ?? null;
    await reopened.close();
    const warm = await openOnce();
    return { records: built.records, cold, warm, checkpoint };
  } finally {
    await dir.remove();
  }
}

export async function replay(): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const outcome = await genesis();
  const { records, replayedRecords, bytes, built, opened, replayed } = outcome;
  const realRestart = "restart" in outcome ? outcome.restart : null;
  log(name, `Runtime.open on ${crashRecords} records over ${crashWallets} wallets`);
  const restart = await runtimeRestart();
  const { cold, warm } = restart;
  log(
    name,
    `Runtime.open without checkpoint ${cold.ms.toFixed(0)} ms (recovery ${cold.recovery.ms.toFixed(0)} ms, ${cold.resident} wallets); after checkpoint ${warm.ms.toFixed(0)} ms`,
  );

  log(name, `usage-heavy ledger: ${usageCustomers} wallets, ${usageBatches} + ${usageTailBatches} batches`);
  const usage = await usageCrashRestart(usageCustomers, usageBatches, usageTailBatches);
  log(
    name,
    `usage-heavy restart after a crash ${usage.ms.toFixed(0)} ms, peak RSS ${usage.rssPeakMB.toFixed(0)} MB`,
  );
  const passivating = await usageCrashRestart(usageCustomers, usageBatches, usageTailBatches, usageResident);
  log(
    name,
    `the same with ${usageResident} resident wallets: ingest ${passivating.ingestEventsPerSecond.toFixed(0)} events/s, restart ${passivating.ms.toFixed(0)} ms`,
  );

  const verifyRate = (records / opened.ms) * 1000;
  const replayRate = (replayedRecords / replayed.ms) * 1000;
  // Per record: verification plus replay (the replay may have stopped at its time bound).
  const restartRate = 1 / (1 / verifyRate + 1 / replayRate);
  const restartMs = (records / restartRate) * 1000;
  const fewer =
    (records < recordsWanted ? `; only ${records} of ${recordsWanted} built within the time bound` : "") +
    (replayedRecords < records ? `; replay stopped at its time bound after ${replayedRecords}` : "");
  const realRate = realRestart ? (realRestart.records / realRestart.ms) * 1000 : 0;
  const rows: BenchRow[] = [
    {
      name: "Restart: verify whole log + snapshots + replay tail",
      unit: "records/s",
      measured: round(realRate),
      target: "≥ 300,000 records/s",
      pass: realRestart ? realRate >= 300_000 : false,
      notes: realRestart
        ? `${realRestart.records} records (${wallets} wallets) verified and ${realRestart.tailRecords} after the checkpoint replayed in ${(realRestart.ms / 1000).toFixed(2)} s, CPU ${(realRestart.cpuMs / 1000).toFixed(2)} s`
        : "not measured: the full replay stopped at its time bound",
    },
    {
      name: "  the same restart, log at rest (compacted)",
      unit: "records/s",
      measured: realRestart ? round((realRestart.records / realRestart.atRest.ms) * 1000) : 0,
      pass: null,
      notes: realRestart
        ? `${(realRestart.atRest.ms / 1000).toFixed(2)} s, CPU ${(realRestart.atRest.cpuMs / 1000).toFixed(2)} s; the row above reads the store while LevelDB still compacts the records just written`
        : "not measured",
    },
    {
      name: "  full replay from genesis (audit path)",
      unit: "records/s",
      measured: round(restartRate),
      pass: null,
      notes: `${records} records, ${wallets} wallets, ${(bytes / 1e6).toFixed(0)} MB, ${(restartMs / 1000).toFixed(1)} s${fewer}`,
    },
    {
      name: "  (a) Log.open verification",
      unit: "records/s",
      measured: round(verifyRate),
      pass: null,
      notes: `${(opened.ms / 1000).toFixed(2)} s, CPU ${(opened.cpuMs / 1000).toFixed(2)} s (${((opened.cpuMs * 1000) / records).toFixed(1)} µs/record)`,
    },
    {
      name: "  (b) replay via machines + fact check",
      unit: "records/s",
      measured: round(replayRate),
      pass: null,
      notes: `${replayedRecords} records in ${(replayed.ms / 1000).toFixed(2)} s, CPU ${(replayed.cpuMs / 1000).toFixed(2)} s (${((replayed.cpuMs * 1000) / replayedRecords).toFixed(1)} µs/record; the scan decodes every record again)`,
    },
    {
      name: "  Runtime.open, no checkpoint (crash)",
      unit: "records/s",
      measured: round((restart.records / cold.ms) * 1000),
      pass: null,
      notes: `${restart.records} records, ${crashWallets} wallets: ${(cold.ms / 1000).toFixed(1)} s (recovery ${(cold.recovery.ms / 1000).toFixed(1)} s)`,
    },
    {
      name: "  Runtime.open after a crash, usage-heavy ledger",
      unit: "ms",
      measured: round(usage.ms),
      pass: null,
      notes: `${usage.records} records: ${usageCustomers} prepaid wallets, ${usageBatches} batches of 500 events before the checkpoint and ${usage.recovery.replayedRecords} after it, replayed over ${usage.recovery.replayedEntities} wallets; process RSS ${usage.rssBeforeMB.toFixed(0)} MB before, peak ${usage.rssPeakMB.toFixed(0)} MB during`,
    },
    {
      name: `  the same, ${usageResident} resident wallets (most passivated)`,
      unit: "ms",
      measured: round(passivating.ms),
      pass: null,
      notes: `${passivating.recovery.replayedRecords} batches replayed over ${passivating.recovery.replayedEntities} wallets; peak RSS ${passivating.rssPeakMB.toFixed(0)} MB; before the crash, ingest straight into the runtime ran at ${round(passivating.ingestEventsPerSecond)} events/s with most events loading a passivated wallet (${round(usage.ingestEventsPerSecond)} events/s with all resident)`,
    },
    {
      name: "  Runtime.open after clean close",
      unit: "records/s",
      measured: round((restart.records / warm.ms) * 1000),
      pass: null,
      notes: `${(warm.ms / 1000).toFixed(2)} s; tail replayed: ${warm.recovery.replayedRecords} records`,
    },
  ];
  return {
    rows,
    details: {
      wallets,
      recordsWanted,
      records,
      replayedRecords,
      dataBytes: bytes,
      build: {
        records: built.records,
        ms: built.ms,
        cpuMs: built.cpuMs,
        recordsPerSecond: (records / built.ms) * 1000,
      },
      restartAfterCheckpoint: realRestart,
      verify: { ...opened, recordsPerSecond: verifyRate },
      replay: { ...replayed, recordsPerSecond: replayRate },
      restart: { ms: restartMs, recordsPerSecond: restartRate },
      usageCrashRestart: usage,
      usageCrashRestartPassivating: passivating,
      runtimeOpen: {
        records: restart.records,
        wallets: crashWallets,
        noCheckpoint: cold,
        afterCleanClose: warm,
        checkpoint: restart.checkpoint,
      },
    },
  };
}

runIfChild(name, replay);
