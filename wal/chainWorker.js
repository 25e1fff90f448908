// @ts-check
// A verification worker: opens the store beside the main thread and checks one range of the log.
import { parentPort, workerData } from "node:worker_threads";
import { Level } from "level";
import { verifyRange } from "./chainRange.js";

/** @type {{ location: string; fromSeq: number; toSeq: number }} */
const { location, fromSeq, toSeq } = workerData;
/** @type {Level<string, string>} */
const db = new Level(location, { keyEncoding: "utf8", valueEncoding: "utf8", multithreading: true });
await db.open();
try {
  const result = await verifyRange(db, fromSeq, toSeq, (seq) => parentPort?.postMessage({ progress: seq }));
  parentPort?.postMessage({ result });
} finally {
  await db.close();
}
