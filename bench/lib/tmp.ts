import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

/** A fresh data directory under os.tmpdir(); remove() deletes it. */
export async function tempDir(label: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `buffmoney-bench-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function dirBytes(path: string): Promise<number> {
  const { readdir, stat } = await import("node:fs/promises");
  let total = 0;
  for (const name of await readdir(path)) total += (await stat(join(path, name))).size;
  return total;
}
