import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

/**
 * A fresh data directory under os.tmpdir() (inside BENCH_TMP_ROOT when bench/run.ts set one, so
 * that it can remove whatever a killed benchmark left); remove() deletes it.
 */
export async function tempDir(label: string): Promise<TempDir> {
  const root = process.env.BENCH_TMP_ROOT ?? tmpdir();
  const path = await mkdtemp(join(root, `buffmoney-bench-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function dirBytes(path: string): Promise<number> {
  const { readdir, stat } = await import("node:fs/promises");
  let total = 0;
  for (const name of await readdir(path)) total += (await stat(join(path, name))).size;
  return total;
}
