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
const recordKey = (seq) => `l!${seq.toString().padStart(seqWidth, "0")}`;

/** @type {{ location: string; prevHash: string }} */
const { location, prevHash: headHash } = workerData;
if (!parentPort) throw new Error("writerWorker.js runs as a worker thread");
const port = parentPort;
/** @type {Level<string, string>} */
const db = new Level(location, { keyEncoding: "utf8", valueEncoding: "utf8", multithreading: true });
await db.open();
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
  previousWrite = written.catch((error) => {
    failure ??= error;
  });
  return written.then(() => hashes);
}

port.on(
  "message",
  (/** @type {{ batch?: import("./writerThread.js").WriterBatch; close?: true }} */ message) => {
    if (message.close) {
      port.close();
      void previousWrite.then(() => db.close());
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
port.postMessage({ ready: true });
