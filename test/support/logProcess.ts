import { Log } from "../../wal/index.js";
import { draft } from "./draft.js";

/**
 * A process that uses a log and nothing else, so nothing but the log can keep it alive:
 * `node --import tsx test/support/logProcess.ts <dir> close|leave-open`. It appends 1,000 records,
 * then closes the log at once (while the entity index may still be written), or lists one entity and
 * leaves the log open; it prints what it got to.
 */
const [dir, mode] = process.argv.slice(2);
if (dir === undefined) throw new Error("usage: logProcess.ts <dir> close|leave-open");
const log = await Log.open(dir);
await Promise.all(Array.from({ length: 1_000 }, (_, i) => log.append(draft(i + 1), log.now())));
console.log(`appended ${log.durableHead}`);
if (mode === "close") {
  await log.close();
  console.log("closed");
} else {
  console.log(`listed ${(await log.entitySeqs("wallet:cus_0")).length}`);
}
