import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { childFlag, type BenchOutcome } from "./lib/harness.js";
import { idleProbe, machineInfo } from "./lib/machine.js";
import { renderTable, summary } from "./lib/report.js";
import { repoRoot } from "./lib/server.js";

/**
 * `npm run bench`: each benchmark in its own child process, one after another, then one table
 * and bench/results/latest.json. `npm run bench -- walAppend replay` runs a subset; a single file
 * also runs alone: `node --import tsx bench/replay.ts --bench-child`.
 *
 * Sizes (environment, defaults in each file): BENCH_WAL_PRODUCERS (1000), BENCH_WAL_MEASURE_MS
 * (5000); BENCH_HTTP_CUSTOMERS (1000), BENCH_HTTP_CONNECTIONS (64), BENCH_HTTP_SECONDS (10),
 * BENCH_HTTP_IDEMPOTENT_SECONDS (3, 0 skips), BENCH_HTTP_PACED_RATE (5,000/s), BENCH_HTTP_PACED_SECONDS
 * (6, 0 skips); BENCH_REPLAY_RECORDS (1,000,000), BENCH_REPLAY_WALLETS
 * (10,000), BENCH_REPLAY_BUILD_MS (35,000: building stops there), BENCH_REPLAY_CRASH_RECORDS (50,000);
 * BENCH_HEAP_WALLETS (100,000); BENCH_COLLECTION_ORDERS (3,000), BENCH_COLLECTION_CUSTOMERS (200),
 * BENCH_COLLECTION_CONNECTIONS (64), BENCH_COLLECTION_DUPLICATES (1,000); BENCH_WEBHOOK_EVENTS (2,000),
 * BENCH_WEBHOOK_ENDPOINTS (8, at most 16), BENCH_FEED_EVENTS (2,000), BENCH_FEED_SUBSCRIBERS (100); BENCH_SERVER_NODE_FLAGS
 * (e.g. "--cpu-prof", "--perf-basic-prof" for `perf record`) for the HTTP server, BENCH_SERVER_LOG (a file
 * that keeps what it prints, e.g. with "--trace-gc").
 * BENCH_STRICT=1 makes a missed target exit 1 (otherwise only a benchmark that fails to run does).
 */
interface Spec {
  name: string;
  file: string;
  nodeFlags: string[];
  /** Hard bound: the child is killed after this long. */
  timeoutMs: number;
}

const specs: Spec[] = [
  { name: "codecMicro", file: "codecMicro.ts", nodeFlags: [], timeoutMs: 60_000 },
  { name: "walAppend", file: "walAppend.ts", nodeFlags: [], timeoutMs: 120_000 },
  { name: "httpDebit", file: "httpDebit.ts", nodeFlags: [], timeoutMs: 120_000 },
  { name: "replay", file: "replay.ts", nodeFlags: ["--max-old-space-size=4096"], timeoutMs: 300_000 },
  { name: "ingest", file: "ingest.ts", nodeFlags: [], timeoutMs: 240_000 },
  { name: "walletHeap", file: "walletHeap.ts", nodeFlags: ["--expose-gc"], timeoutMs: 120_000 },
  { name: "collection", file: "collection.ts", nodeFlags: [], timeoutMs: 120_000 },
  { name: "webhooks", file: "webhooks.ts", nodeFlags: [], timeoutMs: 60_000 },
];

const benchDir = fileURLToPath(new URL(".", import.meta.url));

/** The running benchmark's process group (it and the server it may have started), for kills. */
let runningGroup: number | null = null;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function runChild(spec: Spec, tmpRoot: string): Promise<BenchOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...spec.nodeFlags, "--import", "tsx", `bench/${spec.file}`, childFlag],
      {
        cwd: repoRoot,
        env: { ...process.env, BENCH_TMP_ROOT: tmpRoot },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        // Its own process group: a time-bound kill also ends the server a benchmark started.
        detached: true,
      },
    );
    runningGroup = child.pid ?? null;
    let outcome: BenchOutcome | null = null;
    let timedOut = false;
    child.on("message", (message) => {
      outcome = message as BenchOutcome;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid);
    }, spec.timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      runningGroup = null;
      const ms = performance.now() - started;
      if (outcome) resolve({ ...outcome, ms });
      else
        resolve({
          benchmark: spec.name,
          rows: [],
          details: {},
          ms,
          error: timedOut
            ? `killed after ${spec.timeoutMs} ms (time bound)`
            : `child exited with ${code ?? signal} without a result`,
        });
    });
  });
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const selected = wanted.length ? specs.filter((s) => wanted.includes(s.name)) : specs;
  if (selected.length === 0)
    throw new Error(`no benchmark named ${wanted.join(", ")}; known: ${specs.map((s) => s.name).join(", ")}`);
  const startedAt = new Date();
  const started = performance.now();
  const machine = await machineInfo(repoRoot);
  console.log("BuffMoney benchmarks");
  console.log(
    `machine: nproc ${machine.nproc}, ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node} (${machine.platform})`,
  );
  console.log(`code: ${machine.git}; data dirs under ${machine.tmpdir}`);
  console.log(
    `CPU idle before start ${machine.idlePercent ?? "?"}%, load average ${machine.loadavg.join(" / ")}; fsync probe ${machine.fsync.perSecond}/s, p50 ${machine.fsync.p50Ms.toFixed(2)} ms, p99 ${machine.fsync.p99Ms.toFixed(2)} ms`,
  );
  if (machine.idlePercent !== null && machine.idlePercent < 80) {
    console.log(
      `WARNING: the machine is busy (${100 - machine.idlePercent}% of ${machine.nproc} cores in use before start): other work competes for CPU and disk, so the numbers below are pessimistic.`,
    );
  }
  const tmpRoot = await mkdtemp(join(tmpdir(), "buffmoney-bench-run-"));
  const interrupt = (signal: NodeJS.Signals) => {
    if (runningGroup !== null) killGroup(runningGroup);
    rmSync(tmpRoot, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const outcomes: BenchOutcome[] = [];
  const idleAfter: Record<string, number | null> = {};
  for (const spec of selected) {
    console.log(`\n▶ ${spec.name} (load average ${loadavg()[0]?.toFixed(2)})`);
    const outcome = await runChild(spec, tmpRoot);
    // Others' work shows as CPU in use between benchmarks, when ours is idle.
    idleAfter[spec.name] = await idleProbe(500);
    if ((idleAfter[spec.name] ?? 100) < 80) {
      console.log(
        `  note: only ${idleAfter[spec.name]}% CPU idle right after ${spec.name}: other work is running`,
      );
    }
    console.log(
      `  ${spec.name}: ${outcome.error ? `ERROR ${outcome.error}` : "done"} in ${(outcome.ms / 1000).toFixed(1)} s`,
    );
    outcomes.push(outcome);
  }
  await rm(tmpRoot, { recursive: true, force: true });
  const totalMs = performance.now() - started;
  console.log(`\nResults (${(totalMs / 1000).toFixed(0)} s; nproc ${machine.nproc}, node ${machine.node})\n`);
  console.log(renderTable(outcomes));
  const { targets, met, errors } = summary(outcomes);
  console.log(`\n${met} of ${targets} targets met${errors ? `; ${errors} benchmark(s) failed to run` : ""}.`);
  const file = `${benchDir}results/latest.json`;
  await mkdir(`${benchDir}results`, { recursive: true });
  await writeFile(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        totalMs,
        machine,
        idlePercentAfterEach: idleAfter,
        summary: { targets, met, errors },
        outcomes,
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`written ${file.slice(repoRoot.length)}`);
  process.exitCode = errors > 0 || (process.env.BENCH_STRICT === "1" && met < targets) ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
