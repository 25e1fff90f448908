// @ts-check
// The log's writer thread. Plain JavaScript on purpose (like chainWorker.js): the thread loads this
// file directly, without the TypeScript loader. The main thread sends each group-commit batch as the
// canonical bodies of its records, split where the previous record's hash goes; this thread chains
// and hashes them, writes the batch with its index entries as one synced LevelDB write, and answers
// with the hashes. It opens the store beside the main thread (multithreading: one LevelDB instance).
import { hash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { Level } from "level";

const seqWidth = 16;

/** @param {number} seq */
const seqText = (seq) => seq.toString().padStart(seqWidth, "0");
/** @param {number} seq */
const recordKey = (seq) => `l!${seqText(seq)}`;
// Key layout: wal/keys.ts and wal/entityIndex.ts.
const indexedThroughKey = "m!indexed_through";
const valuesFormatKey = "m!entry_values";

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
/** The previous batch's write: each waits for it, so that no batch is durable before an earlier one. */
let previousWrite = Promise.resolve();
/** @type {unknown} */
let failure = null;

/**
 * Chains and hashes a batch at once (while the one before may still be syncing), then writes it
 * after that one.
 * @param {import("./writerThread.js").WriterBatch} batch
 * @returns {Promise<string>} the records' hashes, 64 hex characters each, in order
 */
function write(batch) {
  const { firstSeq, bodies, splits, ops, opCounts } = batch;
  const chained = db.batch();
  let hashes = "";
  let op = 0;
  for (let i = 0; i < bodies.length; i++) {
    const canonical = /** @type {string} */ (bodies[i]);
    const split = /** @type {number} */ (splits[i]);
    const body = `${canonical.slice(0, split)}${chain}${canonical.slice(split)}`;
    const recordHash = hash("sha256", body, "hex");
    chained.put(recordKey(firstSeq + i), `${recordHash}\n${chain}\n${body}`);
    for (const last = op + 3 * (opCounts[i] ?? 0); op < last; op += 3) {
      const key = /** @type {string} */ (ops[op + 1]);
      if (ops[op] === "p") chained.put(key, /** @type {string} */ (ops[op + 2]));
      else chained.del(key);
    }
    hashes += recordHash;
    chain = recordHash;
  }
  const written = previousWrite.then(() => {
    if (failure !== null) throw failure;
    return chained.write({ sync: true });
  });
  previousWrite = written.then(
    () => listInIndex(batch),
    (error) => {
      failure ??= error;
    },
  );
  return written.then(() => hashes);
}

/** Entity index keys waiting to be written, and the last sequence they cover. */
/** @type {string[]} */
let indexKeys = [];
let indexThrough = 0;
/** @type {Promise<void> | null} */
let indexWriting = null;
let indexFailed = false;

/**
 * Lists a durable batch's records in the entity index: `e!<entity>!<seq>` for each entity a record
 * names, written with the mark of how far the index is complete, synced (entityIndex.ts says why).
 * Writes one at a time, each taking everything that arrived during the one before.
 * @param {import("./writerThread.js").WriterBatch} batch
 */
function listInIndex(batch) {
  const { firstSeq, entities, entityCounts } = batch;
  let at = 0;
  for (let i = 0; i < entityCounts.length; i++) {
    const seq = seqText(firstSeq + i);
    for (const last = at + (entityCounts[i] ?? 0); at < last; at++)
      indexKeys.push(`e!${entities[at]}!${seq}`);
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
    if (indexFormat !== "") chained.put(valuesFormatKey, indexFormat);
    try {
      await chained.write({ sync: true });
      port.postMessage({ indexed: through });
    } catch (error) {
      indexFailed = true;
      port.postMessage({
        indexError: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  indexWriting = null;
}

port.on(
  "message",
  (/** @type {{ batch?: import("./writerThread.js").WriterBatch; close?: true }} */ message) => {
    if (message.close) {
      void close();
      return;
    }
    if (!message.batch) return;
    write(message.batch).then(
      (hashes) => port.postMessage({ hashes }),
      (/** @type {unknown} */ error) =>
        port.postMessage({
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        }),
    );
  },
);

/** Finishes what was handed over, closes both handles, and says so last. */
async function close() {
  await previousWrite;
  while (indexWriting !== null) await indexWriting;
  await Promise.all([db.close(), indexDb.close()]);
  port.postMessage({ closed: true });
  port.close();
}

port.postMessage({ ready: true });
