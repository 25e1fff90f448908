import { watch, type FSWatcher } from "node:fs";
import { link, lstat, mkdir, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";

/** The folder inside a store that holds the second links; LevelDB's own listing skips it. */
export const reclaimFolderName = "reclaim";

/** A store's log and table files: the large ones LevelDB deletes once they are obsolete. */
const storeFile = /^\d+\.(?:log|ldb|sst)$/;

/**
 * Frees a LevelDB store's obsolete files without holding LevelDB's lock. LevelDB 1.20 (the one
 * classic-level bundles) deletes obsolete log and table files while it holds the database mutex.
 * Unlinking a 32–64 MB file takes about 20 ms on ext4, and every read and write of the store waits
 * meanwhile: a stall of the main thread and of the group commit several times a second under load.
 *
 * So each such file gets a second hard link in `reclaim/`, and LevelDB's unlink only drops a name.
 * The reclaimer later removes links whose file LevelDB no longer names (link count 1), from the
 * thread pool, where freeing the space holds nobody up. A link whose file LevelDB still names is
 * never removed. A file the reclaimer misses (created and deleted between looks, or a file system
 * without hard links) is only deleted the slow way, as before.
 */
export class FileReclaimer {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private stopped = false;
  /** Names linked (or being linked) by this reclaimer, so each is linked once. */
  private readonly linked = new Set<string>();
  /** Hard links are not possible here (file system, permissions): nothing is kept from then on. */
  private unsupported = false;

  private constructor(
    private readonly storeDir: string,
    private readonly folder: string,
  ) {}

  /**
   * Starts on an open store: links the files it has, then each new one as it appears (watched, and
   * looked for again every `sweepMs`, which also removes links LevelDB has let go).
   */
  static async start(storeDir: string, sweepMs = 1000): Promise<FileReclaimer> {
    const folder = join(storeDir, reclaimFolderName);
    await mkdir(folder, { recursive: true });
    const reclaimer = new FileReclaimer(storeDir, folder);
    await reclaimer.sweep();
    try {
      reclaimer.watcher = watch(storeDir, (event, name) => {
        // "rename" is a file made or deleted; "change" (every write to the log) is not looked at.
        if (event === "rename" && typeof name === "string" && storeFile.test(name)) void reclaimer.keep(name);
      });
      // Watching is only a head start on the sweep: without it, files are found by the sweep.
      reclaimer.watcher.on("error", () => reclaimer.stopWatching());
      reclaimer.watcher.unref();
    } catch {
      reclaimer.watcher = null;
    }
    reclaimer.timer = setInterval(() => void reclaimer.sweep().catch(() => {}), sweepMs);
    reclaimer.timer.unref();
    return reclaimer;
  }

  /** Links the store's files not linked yet and removes the links of files LevelDB has deleted. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /** Stops looking, then removes every link whose file is gone; links to live files stay. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatching();
    if (this.timer !== null) clearInterval(this.timer);
    await this.sweeping;
    await this.removeReleased();
  }

  private async sweepOnce(): Promise<void> {
    if (!this.stopped && !this.unsupported) {
      let names: string[];
      let kept: string[];
      try {
        [names, kept] = await Promise.all([readdir(this.storeDir), readdir(this.folder)]);
      } catch {
        // The store is gone (removed while open, as a test may do): nothing left to look after.
        this.stopped = true;
        this.stopWatching();
        if (this.timer !== null) clearInterval(this.timer);
        return;
      }
      for (const name of kept) this.linked.add(name);
      for (const name of names) if (storeFile.test(name)) await this.keep(name);
    }
    await this.removeReleased();
  }

  private async keep(name: string): Promise<void> {
    if (this.stopped || this.unsupported || this.linked.has(name)) return;
    this.linked.add(name);
    try {
      await link(join(this.storeDir, name), join(this.folder, name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Linked already, or deleted before it could be: nothing to do.
      if (code === "EEXIST") return;
      this.linked.delete(name);
      if (code === "ENOENT") return;
      this.unsupported = true;
      this.stopWatching();
    }
  }

  private async removeReleased(): Promise<void> {
    let kept: string[];
    try {
      kept = await readdir(this.folder);
    } catch {
      return;
    }
    for (const name of kept) {
      const path = join(this.folder, name);
      try {
        // Link count 1: LevelDB has deleted its name, this is the last one.
        if ((await lstat(path)).nlink === 1) {
          await unlink(path);
          this.linked.delete(name);
        }
      } catch {
        // Gone already.
      }
    }
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}

/**
 * Starts a reclaimer on an open store, or none: without one the store works as before, only with
 * its periodic stalls, so a reclaimer that cannot start does not stop the store from opening.
 */
export async function startReclaimer(storeDir: string): Promise<FileReclaimer | null> {
  try {
    return await FileReclaimer.start(storeDir);
  } catch {
    return null;
  }
}
