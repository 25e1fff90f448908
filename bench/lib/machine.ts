import { execFileSync } from "node:child_process";
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from "node:fs";
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

export function machineInfo(repoRoot: string): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    tmpdir: tmpdir(),
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    git: git(repoRoot),
    fsync: fsyncProbe(),
  };
}
