import { execFileSync } from "node:child_process";
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { percentile } from "./stats.js";

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  memoryGiB: number;
  tmpdir: string;
  loadavg: number[];
  /** Share of all CPUs that was idle over one second just before the run (from /proc/stat). */
  idlePercent: number | null;
  git: string;
  /** 200-byte write + fsync in a loop for 500 ms: the disk's condition right now. */
  fsync: { perSecond: number; p50Ms: number; p99Ms: number };
}

function git(repoRoot: string): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: repoRoot,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: repoRoot, encoding: "utf8" }).trim();
    return dirty ? `${commit} + uncommitted changes` : commit;
  } catch {
    return "unknown";
  }
}

export function fsyncProbe(durationMs = 500): MachineInfo["fsync"] {
  const path = join(tmpdir(), `buffmoney-bench-fsync-${process.pid}`);
  const fd = openSync(path, "w");
  const buffer = Buffer.alloc(200, 1);
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  try {
    while (performance.now() < end && latencies.length < 100_000) {
      const started = performance.now();
      writeSync(fd, buffer);
      fsyncSync(fd);
      latencies.push(performance.now() - started);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  return {
    perSecond: Math.round(latencies.length / (durationMs / 1000)),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

function cpuTimes(): { idle: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** Percentage of CPU time that was idle (machine-wide) over `ms`. */
export async function idleProbe(ms = 1000): Promise<number | null> {
  const before = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimes();
  if (!before || !after || after.total === before.total) return null;
  return Math.round(((after.idle - before.idle) / (after.total - before.total)) * 100);
}

export async function machineInfo(repoRoot: string): Promise<MachineInfo> {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    tmpdir: tmpdir(),
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    idlePercent: await idleProbe(),
    git: git(repoRoot),
    fsync: fsyncProbe(),
  };
}
