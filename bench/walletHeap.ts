import { createActor, type AnyActorRef } from "xstate";
import type { Customer } from "../actors/customers.js";
import { Runtime } from "../actors/runtime.js";
import { walletMachine } from "../machines/wallet.js";
import { benchCustomerId, benchMerchantId } from "./lib/drafts.js";
import { log, runIfChild, type BenchRow } from "./lib/harness.js";
import { round } from "./lib/stats.js";
import { tempDir } from "./lib/tmp.js";

/**
 * 4. Heap per resident wallet: a Runtime with a large resident set, `count` wallets made resident
 *    by one grant each, heap measured after full GCs. Baseline: the same number of started XState
 *    actors of the wallet machine. Needs `node --expose-gc` (bench/run.ts passes it).
 */
const name = "walletHeap";
const count = Number(process.env.BENCH_HEAP_WALLETS ?? 100_000);
const budgetMs = Number(process.env.BENCH_HEAP_BUDGET_MS ?? 60_000);
const concurrency = 5_000;

function fullGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc");
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

export async function walletHeap(): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const dir = await tempDir("heap");
  let runtime: Runtime | null = null;
  try {
    runtime = await Runtime.open({
      dataDir: dir.path,
      adminToken: "bench-admin-token-0123456789",
      residentWalletsMax: count * 2,
      // No automatic checkpoint while loading: every wallet stays dirty for the checkpoint probe below.
      snapshotIntervalRecords: count * 10,
      startTimers: false,
    });
    const rt = runtime;
    // Customers are the caller's objects: allocated before the first reading.
    const customers: Customer[] = Array.from({ length: count }, (_, i) => ({
      id: benchCustomerId(i),
      externalId: `bench_${i}`,
      name: null,
      email: null,
      testClockId: null,
      env: "test",
      merchantId: benchMerchantId,
      createdAt: 0,
    }));
    // Warm up first (code, caches, the registry's structures), then measure the marginal cost.
    const warm = Math.min(2_000, Math.floor(count / 10));
    const makeResident = async (from: number, to: number) => {
      const chunk: Array<Promise<unknown>> = [];
      for (let i = from; i < to; i++) {
        const customer = customers[i] as Customer;
        chunk.push(
          rt.wallets.execute(customer, ({ at }) => ({
            type: "wallet.grant",
            amountMicros: 1_000_000_000n,
            reason: "bench",
            transactionId: `wtx_heap${i.toString(32).padStart(16, "0")}`,
            at,
          })),
        );
      }
      await Promise.all(chunk);
    };
    const zero = fullGc();
    await makeResident(0, warm);
    await rt.log.flush();
    const before = fullGc();
    const started = performance.now();
    let made = warm;
    while (made < count && performance.now() - started < budgetMs) {
      const end = Math.min(count, made + concurrency);
      await makeResident(made, end);
      made = end;
    }
    const loadMs = performance.now() - started;
    await rt.log.flush();
    const resident = rt.wallets.registry.residentCount;
    const after = fullGc();
    const perWallet = (after - before) / (resident - warm);
    const perWalletAll = (after - zero) / resident;
    log(
      name,
      `${resident} resident wallets (made in ${(loadMs / 1000).toFixed(1)} s): heap +${((after - before) / 1e6).toFixed(1)} MB, ${perWallet.toFixed(0)} B/wallet`,
    );
    if (resident !== made) throw new Error(`expected ${made} resident wallets, registry has ${resident}`);

    // Checkpoint probe: how long the event loop stalls while every dirty wallet is snapshotted.
    let maxGapMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    maxGapMs = 0;
    const checkpointStarted = performance.now();
    await rt.checkpoint();
    const checkpointMs = performance.now() - checkpointStarted;
    await new Promise((resolve) => setTimeout(resolve, 20));
    clearInterval(ticker);
    log(
      name,
      `checkpoint of ${resident} dirty wallets: ${checkpointMs.toFixed(0)} ms, event loop blocked up to ${maxGapMs.toFixed(0)} ms`,
    );
    await rt.close();
    runtime = null;

    // Baseline: started XState actors of the same machine.
    const actors: AnyActorRef[] = new Array<AnyActorRef>(resident);
    for (let i = 0; i < warm; i++) actors[i] = createActor(walletMachine).start();
    const actorsBefore = fullGc();
    for (let i = warm; i < resident; i++) actors[i] = createActor(walletMachine).start();
    const actorsAfter = fullGc();
    const perActor = (actorsAfter - actorsBefore) / (resident - warm);
    log(name, `${resident} started XState actors: ${perActor.toFixed(0)} B/actor`);
    if (actors.length !== resident) throw new Error("actors lost");

    const rows: BenchRow[] = [
      {
        name: `Heap per resident wallet (${resident})`,
        unit: "bytes",
        measured: round(perWallet),
        baseline: round(perActor),
        ratio: round(perWallet / perActor, 2),
        target: "≤ 1,024 B",
        pass: perWallet <= 1024,
        notes: `marginal heap per wallet after ${warm} warm-up wallets (${perWalletAll.toFixed(0)} B counting the warm-up); baseline = one started XState actor of walletMachine; wallets made resident in ${(loadMs / 1000).toFixed(1)} s (${((made / loadMs) * 1000).toFixed(0)}/s, first touch of each)`,
      },
    ];
    rows.push({
      name: `Checkpoint stall, ${resident} dirty wallets`,
      unit: "ms",
      measured: round(maxGapMs),
      pass: null,
      notes: `Runtime.checkpoint() took ${checkpointMs.toFixed(0)} ms; the longest event-loop gap during it is shown (no request is served meanwhile)`,
    });
    return {
      rows,
      details: {
        checkpointMs,
        checkpointMaxEventLoopGapMs: maxGapMs,
        wallets: resident,
        heapBefore: before,
        heapAfter: after,
        bytesPerWallet: perWallet,
        bytesPerWalletIncludingWarmup: perWalletAll,
        heapAtZero: zero,
        warmupWallets: warm,
        actorsHeapBefore: actorsBefore,
        actorsHeapAfter: actorsAfter,
        bytesPerActor: perActor,
        firstTouchPerSecond: (made / loadMs) * 1000,
      },
    };
  } finally {
    if (runtime) await runtime.close();
    await dir.remove();
  }
}

runIfChild(name, walletHeap);
