import { lstat, mkdir, readdir, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileReclaimer, reclaimFolderName } from "../wal/fileReclaimer.js";
import { tempDir } from "./support/tempDir.js";

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

const links = async (path: string) => (await lstat(path)).nlink;
const kept = async (store = dir.path) => (await readdir(join(store, reclaimFolderName))).sort();

describe("file reclaimer", () => {
  it("keeps a second link of each log and table file, and frees it once the store lets go", async () => {
    for (const name of ["000001.log", "000002.ldb", "CURRENT", "MANIFEST-000003"]) {
      await writeFile(join(dir.path, name), name);
    }
    const reclaimer = await FileReclaimer.start(dir.path, 60_000);
    expect(await kept()).toEqual(["000001.log", "000002.ldb"]);
    expect(await links(join(dir.path, "000001.log"))).toBe(2);

    // The store deletes a file: only its name goes, and the sweep frees the rest.
    await unlink(join(dir.path, "000001.log"));
    await writeFile(join(dir.path, "000004.ldb"), "new table");
    await reclaimer.sweep();
    expect(await kept()).toEqual(["000002.ldb", "000004.ldb"]);

    // Stopping keeps links to files the store still names.
    await reclaimer.stop();
    expect(await kept()).toEqual(["000002.ldb", "000004.ldb"]);
    expect(await links(join(dir.path, "000002.ldb"))).toBe(2);
  });

  it("frees links left behind by a stop before the store let go, when it starts again", async () => {
    await writeFile(join(dir.path, "000007.log"), "log");
    const first = await FileReclaimer.start(dir.path, 60_000);
    await first.stop();
    await unlink(join(dir.path, "000007.log"));
    expect(await kept()).toEqual(["000007.log"]);

    const second = await FileReclaimer.start(dir.path, 60_000);
    expect(await kept()).toEqual([]);
    await second.stop();
  });

  it("stops quietly when its store is removed while it runs", async () => {
    const store = join(dir.path, "store");
    await mkdir(store);
    await writeFile(join(store, "000001.log"), "log");
    const rejections: unknown[] = [];
    const listen = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", listen);
    try {
      const reclaimer = await FileReclaimer.start(store, 5);
      await rm(store, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 60));
      await reclaimer.stop();
      expect(rejections).toEqual([]);
    } finally {
      process.off("unhandledRejection", listen);
    }
  });

  it("follows a real store through flushes and compactions, which reopens with every value", async () => {
    const location = join(dir.path, "store");
    // Small memtables and files: many files made and deleted by LevelDB within the test.
    const options = { writeBufferSize: 64 * 1024, maxFileSize: 64 * 1024 };
    const db = new Level<string, string>(location, options);
    await db.open();
    const reclaimer = await FileReclaimer.start(location, 20);
    const value = "v".repeat(1_000);
    for (let round = 0; round < 40; round++) {
      const batch = db.batch();
      for (let i = 0; i < 100; i++) batch.put(`k${String(i).padStart(4, "0")}`, `${round}:${value}`);
      await batch.write({ sync: true });
    }
    await db.close();
    await reclaimer.stop();

    // Every link left names a file the store still has; nothing it deleted is held.
    const left = await kept(location);
    expect(left.length).toBeGreaterThan(0);
    for (const name of left) expect(await links(join(location, reclaimFolderName, name))).toBe(2);
    // LevelDB did delete files meanwhile: numbers run well past the files it still has.
    const newest = Math.max(...left.map((name) => Number.parseInt(name, 10)));
    expect(newest).toBeGreaterThan(left.length + 5);
    const reopened = new Level<string, string>(location, options);
    await reopened.open();
    expect(await reopened.get("k0099")).toBe(`39:${value}`);
    expect((await reopened.keys().all()).length).toBe(100);
    await reopened.close();
  });
});
