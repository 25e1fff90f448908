import { copyFile, link, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve, isAbsolute } from "node:path";

/**
 * LevelDB lets one process hold a directory (its LOCK file), and a running server holds it. The
 * audit never opens the live directory: it copies it and opens the copy. Table files (`*.ldb`,
 * `*.sst`) are immutable once written, so they are hard-linked (copied when the work dir is on
 * another filesystem); `CURRENT`, `MANIFEST-*` and the write-ahead `*.log` grow in place, so they
 * are copied. `LOCK` and the info logs (`LOG`, `LOG.old`) are skipped. A record torn at the end of
 * the copied `.log` is dropped by LevelDB when the copy opens: the audit covers a prefix of the log.
 */
export interface LedgerCopy {
  path: string;
  linkedFiles: number;
  copiedFiles: number;
  /** How many times the copy was taken: a flush or compaction during a copy makes it start over. */
  attempts: number;
  remove(): Promise<void>;
}

export interface CopyOptions {
  /** Where the temporary copy goes (default: the OS temp dir). Same filesystem as the data → hard links. */
  workDir?: string | undefined;
  attemptsMax?: number;
}

export const copyAttemptsMax = 5;
const retryDelayMs = 100;
const immutableTable = /^\d+\.(ldb|sst)$/;
const growingFile = /^(MANIFEST-\d+|\d+\.log)$/;

/** The copy could not be made (missing directory, permissions, or a ledger that never held still). */
export class LedgerCopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LedgerCopyError";
  }
}

interface ManifestMark {
  current: string;
  manifestBytes: number;
}

async function manifestMark(dataDir: string): Promise<ManifestMark> {
  const current = await readFile(join(dataDir, "CURRENT"), "utf8");
  const manifest = current.trim();
  if (!/^MANIFEST-\d+$/.test(manifest))
    throw new LedgerCopyError(`${dataDir}/CURRENT does not name a manifest`);
  return { current, manifestBytes: (await stat(join(dataDir, manifest))).size };
}

const errorCode = (error: unknown): string | undefined =>
  error instanceof Error && "code" in error ? String(error.code) : undefined;

/** Hard-links a table file, or copies it where links are impossible. Returns false when it vanished. */
async function linkOrCopy(from: string, to: string): Promise<"linked" | "copied" | "gone"> {
  try {
    await link(from, to);
    return "linked";
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT") return "gone";
    if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP" && code !== "EMLINK") throw error;
  }
  return copyOrGone(from, to);
}

async function copyOrGone(from: string, to: string): Promise<"copied" | "gone"> {
  try {
    await copyFile(from, to);
    return "copied";
  } catch (error) {
    if (errorCode(error) === "ENOENT") return "gone";
    throw error;
  }
}

/**
 * One attempt. Every flush or compaction appends an edit to the manifest (or starts a new one), so
 * when CURRENT and the manifest's size are the same before and after, and the copied manifest has
 * that size, the set of live table and log files did not change while we copied.
 */
async function copyOnce(dataDir: string, into: string): Promise<{ linked: number; copied: number } | null> {
  const before = await manifestMark(dataDir);
  let linked = 0;
  let copied = 0;
  const names = (await readdir(dataDir)).sort();
  for (const name of names.filter((n) => immutableTable.test(n))) {
    const outcome = await linkOrCopy(join(dataDir, name), join(into, name));
    if (outcome === "linked") linked += 1;
    if (outcome === "copied") copied += 1;
  }
  for (const name of names.filter((n) => growingFile.test(n))) {
    if ((await copyOrGone(join(dataDir, name), join(into, name))) === "copied") copied += 1;
  }
  await writeFile(join(into, "CURRENT"), before.current);
  copied += 1;
  const after = await manifestMark(dataDir);
  const manifest = before.current.trim();
  const copiedBytes = await stat(join(into, manifest)).then(
    (s) => s.size,
    () => -1,
  );
  const still =
    after.current === before.current &&
    after.manifestBytes === before.manifestBytes &&
    copiedBytes === before.manifestBytes;
  return still ? { linked, copied } : null;
}

/** Whether `child` is `parent` or lies under it. */
export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Copies the LevelDB directory `dataDir` into a fresh temporary directory; never writes to `dataDir`. */
export async function copyLedgerDir(dataDir: string, options: CopyOptions = {}): Promise<LedgerCopy> {
  const source = resolve(dataDir);
  const workDir = resolve(options.workDir ?? tmpdir());
  if (isInside(workDir, source)) {
    throw new LedgerCopyError(`the work dir ${workDir} is inside the data dir: the audit never writes there`);
  }
  try {
    await stat(join(source, "CURRENT"));
  } catch {
    throw new LedgerCopyError(`${source} is not a BuffMoney data directory (no LevelDB CURRENT file)`);
  }
  const attemptsMax = options.attemptsMax ?? copyAttemptsMax;
  for (let attempt = 1; attempt <= attemptsMax; attempt++) {
    const path = await mkdtemp(join(workDir, "buffmoney-audit-"));
    const remove = () => rm(path, { recursive: true, force: true });
    try {
      const done = await copyOnce(source, path);
      if (done)
        return { path, linkedFiles: done.linked, copiedFiles: done.copied, attempts: attempt, remove };
    } catch (error) {
      await remove();
      throw error;
    }
    await remove();
    await new Promise((resolveDelay) => setTimeout(resolveDelay, retryDelayMs * attempt));
  }
  throw new LedgerCopyError(
    `the ledger in ${source} kept compacting while it was copied (${attemptsMax} attempts); try again`,
  );
}
