// @ts-check
// The log's writer thread. Plain JavaScript on purpose (like chainWorker.js): the thread loads this
// file directly, without the TypeScript loader. The main thread sends records as they are appended,
// as canonical bodies with the place where the previous record's hash goes; this thread chains and
// hashes them on arrival, commits them in groups (one synced LevelDB write each, with their index
// entries), reports each write with the hashes, and then lists the records in the entity index. It
// opens both stores beside the main thread (multithreading: one LevelDB instance each).
import { hash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { Level } from "level";
import { entityRecordKey, entryValuesFormatKey, indexedThroughKey, recordKey } from "./keyLayout.js";

/** @param {unknown} error */
const describe = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** @type {{ location: string; prevHash: string; indexLocation: string; indexFormat: string }} */
const { location, prevHash: headHash, indexLocation, indexFormat } = workerData;
if (!parentPort) throw new Error("writerWorker.js runs as a worker thread");
const port = parentPort;
/** @param {string} where */
const openStore = (where) =>
  /** @type {Level<string, string>} */ (
    new Level(where, { keyEncoding: "utf8", valueEncoding: "utf8", multithreading: true })
  );
const db = openStore(location);
const indexDb = openStore(indexLocation);
await Promise.all([db.open(), indexDb.open()]);

/** The hash of the last record prepared: the next one chains to it. */
let chain = headHash;

/**
 * @typedef {import("./writerThread.js").WriterBatch} WriterBatch
 * @typedef {{ chained: ReturnType<typeof db.batch>; hashes: string; lastSeq: number; batches: WriterBatch[] }} Group
 */
/**
 * Records prepared and not yet written: the next group commit. Whatever arrives while a write is in
 * flight waits here and goes into the next one.
 * @type {Group | null}
 */
let nextGroup = null;
/** @type {Promise<void> | null} */
let writing = null;
let failed = false;

/**
 * Chains and hashes a batch on arrival (while an earlier write may still be syncing) and adds it to
 * the next group commit.
 * @param {WriterBatch} batch
 */
function prepare(batch) {
  const { firstSeq, bodies, splits, ops, opCounts } = batch;
  nextGroup ??= { chained: db.batch(), hashes: "", lastSeq: 0, batches: [] };
  const group = nextGroup;
  let op = 0;
  for (let i = 0; i < bodies.length; i++) {
    const canonical = /** @type {string} */ (bodies[i]);
    const split = /** @type {number} */ (splits[i]);
    const body = `${canonical.slice(0, split)}${chain}${canonical.slice(split)}`;
    const recordHash = hash("sha256", body, "hex");
    group.chained.put(recordKey(firstSeq + i), `${recordHash}\n${chain}\n${body}`);
    for (const last = op + 3 * (opCounts[i] ?? 0); op < last; op += 3) {
      const key = /** @type {string} */ (ops[op + 1]);
      if (ops[op] === "p") group.chained.put(key, /** @type {string} */ (ops[op + 2]));
      else group.chained.del(key);
    }
    group.hashes += recordHash;
    chain = recordHash;
  }
  group.lastSeq = firstSeq + bodies.length - 1;
  group.batches.push(batch);
}

/** Writes the groups, synced, one write at a time: no record is durable before an earlier one. */
async function writeGroups() {
  while (nextGroup !== null && !failed) {
    const group = nextGroup;
    nextGroup = null;
    const started = performance.now();
    try {
      await group.chained.write({ sync: true });
    } catch (error) {
      failed = true;
      port.postMessage({ error: describe(error) });
      break;
    }
    port.postMessage({ written: group.lastSeq, hashes: group.hashes, ms: performance.now() - started });
    for (const batch of group.batches) listInIndex(batch);
  }
  writing = null;
}

/** Entity index keys waiting to be written, and the last sequence they cover. */
/** @type {string[]} */
let indexKeys = [];
let indexThrough = 0;
/** @type {Promise<void> | null} */
let indexWriting = null;
let indexFailed = false;

/**
 * Lists durable records in the entity index: `e!<entity>!<seq>` for each entity a record names,
 * written with the mark of how far the index is complete, synced (entityIndex.ts says why). One
 * write at a time, each taking everything that arrived during the one before.
 * @param {WriterBatch} batch
 */
function listInIndex(batch) {
  const { firstSeq, entities, entityCounts } = batch;
  let at = 0;
  for (let i = 0; i < entityCounts.length; i++) {
    for (const last = at + (entityCounts[i] ?? 0); at < last; at++)
      indexKeys.push(entityRecordKey(/** @type {string} */ (entities[at]), firstSeq + i));
  }
  indexThrough = firstSeq + entityCounts.length - 1;
  indexWriting ??= writeIndex();
}

async function writeIndex() {
  while (indexKeys.length > 0 && !indexFailed) {
    const keys = indexKeys;
    const through = indexThrough;
    indexKeys = [];
    const chained = indexDb.batch();
    for (const key of keys) chained.put(key, "");
    chained.put(indexedThroughKey, String(through));
    if (indexFormat !== "") chained.put(entryValuesFormatKey, indexFormat);
    try {
      await chained.write({ sync: true });
      port.postMessage({ indexed: through });
    } catch (error) {
      indexFailed = true;
      port.postMessage({ indexError: describe(error) });
    }
  }
  indexWriting = null;
}

/** Finishes what was handed over, closes both handles, and says so last. */
async function close() {
  while (writing !== null) await writing;
  while (indexWriting !== null) await indexWriting;
  await Promise.all([db.close(), indexDb.close()]);
  port.postMessage({ closed: true });
  port.close();
}

port.on("message", (/** @type {{ batch?: WriterBatch; close?: true }} */ message) => {
  if (message.close) {
    void close();
    return;
  }
  if (!message.batch || failed) return;
  prepare(message.batch);
  writing ??= writeGroups();
});

port.postMessage({ ready: true });
