import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { childFlag, type BenchOutcome } from "./lib/harness.js";
import { machineInfo } from "./lib/machine.js";
import { renderTable, summary } from "./lib/report.js";
import { repoRoot } from "./lib/server.js";

/**
 * `npm run bench`: each benchmark in its own child process, one after another, then one table
 * and bench/results/latest.json. `npm run bench -- walAppend replay` runs a subset.
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
  { name: "walAppend", file: "walAppend.ts", nodeFlags: [], timeoutMs: 60_000 },
  { name: "httpDebit", file: "httpDebit.ts", nodeFlags: [], timeoutMs: 120_000 },
  { name: "replay", file: "replay.ts", nodeFlags: ["--max-old-space-size=4096"], timeoutMs: 150_000 },
  { name: "walletHeap", file: "walletHeap.ts", nodeFlags: ["--expose-gc"], timeoutMs: 120_000 },
];

const benchDir = fileURLToPath(new URL(".", import.meta.url));

function runChild(spec: Spec): Promise<BenchOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...spec.nodeFlags, "--import", "tsx", `bench/${spec.file}`, childFlag],
      {
        cwd: repoRoot,
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    let outcome: BenchOutcome | null = null;
    let timedOut = false;
    child.on("message", (message) => {
      outcome = message as BenchOutcome;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, spec.timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
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
  const machine = machineInfo(repoRoot);
  console.log("BuffMoney benchmarks");
  console.log(
    `machine: nproc ${machine.nproc}, ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node} (${machine.platform})`,
  );
  console.log(`code: ${machine.git}; data dirs under ${machine.tmpdir}`);
  console.log(
    `load average ${machine.loadavg.join(" / ")}; fsync probe ${machine.fsync.perSecond}/s, p50 ${machine.fsync.p50Ms.toFixed(2)} ms, p99 ${machine.fsync.p99Ms.toFixed(2)} ms`,
  );
  if ((machine.loadavg[0] ?? 0) > machine.nproc * 0.5) {
    console.log(
      `WARNING: the machine is busy (load ${machine.loadavg[0]} on ${machine.nproc} cores): other work competes for CPU and disk, so the numbers below are pessimistic.`,
    );
  }
  const outcomes: BenchOutcome[] = [];
  const loadDuring: Record<string, number[]> = {};
  for (const spec of selected) {
    console.log(`\n▶ ${spec.name} (load ${loadavg()[0]?.toFixed(2)})`);
    const outcome = await runChild(spec);
    loadDuring[spec.name] = loadavg().map((l) => Math.round(l * 100) / 100);
    console.log(
      `  ${spec.name}: ${outcome.error ? `ERROR ${outcome.error}` : "done"} in ${(outcome.ms / 1000).toFixed(1)} s`,
    );
    outcomes.push(outcome);
  }
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
        loadAfterEach: loadDuring,
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
