import { cp, mkdir, readdir, rename, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Level } from "level";
import { keys } from "../../wal/keys.js";
import { ChainCheck } from "./chain.js";
import { copyLedgerDir, isInside, LedgerCopyError } from "./copy.js";
import type { Finding } from "./findings.js";

export interface BackupReport {
  path: string;
  /** The backup holds records 1 through this one, the ledger's durable head when it was copied. */
  headSeq: number;
  headHash: string | null;
  /** What the chain check found in the copy; empty for a sound ledger. */
  findings: Finding[];
  files: number;
  bytes: number;
}

/** LevelDB's own files, which the consistent copy takes; and stores that are rebuilt from the ledger. */
const levelDbFile = /^(CURRENT|LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.(log|ldb|sst))$/;
const derived = new Set(["entity-index", "reclaim"]);

/**
 * A backup of a data directory, taken while the server runs: the ledger as one consistent prefix
 * (copy.ts: the same copy the audit takes, with table files hard-linked when `out` is on the same
 * filesystem), beside the directory's other files (the secret key that seals stored secrets, the
 * sandbox channel keys). The entity index is left out: a server started on the backup builds it
 * again. The copy's hash chain is checked before the backup is moved into place at `out`.
 */
export async function backupLedger(dataDir: string, out: string): Promise<BackupReport> {
  const source = resolve(dataDir);
  const target = resolve(out);
  if (isInside(target, source) || isInside(source, target)) {
    throw new LedgerCopyError(`the backup ${target} and the data dir ${source} must not contain each other`);
  }
  if (await exists(target)) throw new LedgerCopyError(`${target} already exists: back up to a new directory`);
  await mkdir(dirname(target), { recursive: true });
  const copy = await copyLedgerDir(source, { workDir: dirname(target) });
  try {
    for (const name of await readdir(source)) {
      if (levelDbFile.test(name) || derived.has(name)) continue;
      await cp(join(source, name), join(copy.path, name), { recursive: true, preserveTimestamps: true });
    }
    const checked = await checkChain(copy.path);
    await rename(copy.path, target);
    return { path: target, ...checked, ...(await sizeOf(target)) };
  } catch (error) {
    await copy.remove();
    throw error;
  }
}

async function checkChain(path: string): Promise<Pick<BackupReport, "headSeq" | "headHash" | "findings">> {
  const db = new Level<string, string>(path, {
    keyEncoding: "utf8",
    valueEncoding: "utf8",
    createIfMissing: false,
  });
  await db.open();
  try {
    const chain = new ChainCheck();
    const findings: Finding[] = [];
    for await (const [key, value] of db.iterator({ gte: keys.recordPrefixStart, lt: keys.recordPrefixEnd })) {
      chain.feed({ key, value }, (finding) => findings.push(finding));
    }
    return { headSeq: chain.lastSeq, headHash: chain.lastHash, findings };
  } finally {
    await db.close();
  }
}

async function sizeOf(path: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
