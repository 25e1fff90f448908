import { Worker } from "node:worker_threads";

/**
 * One group-commit batch for the writer thread. Record i of the batch has sequence `firstSeq + i`;
 * its canonical body is `bodies[i]` with the previous record's hash inserted at `splits[i]`; its
 * index entries are the next `opCounts[i]` triples of `ops`: "p" key value, or "d" key "". (An array
 * of whole strings is the cheapest shape to send: no string is cut or joined for it.)
 */
export interface WriterBatch {
  firstSeq: number;
  bodies: string[];
  splits: Int32Array;
  ops: string[];
  opCounts: Int32Array;
}

type Reply = { ready: true } | { hashes: string } | { error: string };

interface Waiter {
  resolve: (hashes: string) => void;
  reject: (error: Error) => void;
}

/**
 * The main thread's side of the log's writer thread (writerWorker.js), which hashes the chain and
 * makes each batch durable: that work leaves the thread that runs the actors and the API. Batches
 * are answered in the order they were sent. The thread keeps the process alive only while a batch is
 * in flight, as a write on the main thread would.
 */
export class WriterThread {
  private readonly waiters: Waiter[] = [];
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.exited = new Promise((resolve) => worker.once("exit", () => resolve()));
    worker.on("message", (reply: Reply) => {
      if ("ready" in reply) return;
      const waiter = this.waiters.shift();
      if (this.waiters.length === 0) worker.unref();
      if (!waiter) return;
      if ("hashes" in reply) waiter.resolve(reply.hashes);
      else waiter.reject(new Error(`the ledger's writer thread could not write: ${reply.error}`));
    });
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => this.fail(new Error(`the ledger's writer thread exited (code ${code})`)));
  }

  /** Starts the thread on the store at `location`, chaining its first record to `prevHash`. */
  static start(location: string, prevHash: string): Promise<WriterThread> {
    const worker = new Worker(new URL("./writerWorker.js", import.meta.url), {
      workerData: { location, prevHash },
    });
    return new Promise((resolve, reject) => {
      const failed = (error: unknown) => reject(error);
      const exited = (code: number) =>
        reject(new Error(`the ledger's writer thread exited while opening the store (code ${code})`));
      worker.once("error", failed);
      worker.once("exit", exited);
      worker.once("message", () => {
        worker.off("error", failed);
        worker.off("exit", exited);
        worker.unref();
        resolve(new WriterThread(worker));
      });
    });
  }

  /** Writes one batch, synced; resolves with its records' hashes, 64 hex characters each. */
  write(batch: WriterBatch): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      if (this.waiters.length === 0) this.worker.ref();
      this.waiters.push({ resolve, reject });
      this.worker.postMessage({ batch });
    });
  }

  /** Closes the thread's handle on the store and waits for the thread to end. */
  async stop(): Promise<void> {
    // Kept alive until the store is closed: a process must not end with it half closed.
    this.worker.ref();
    if (this.failure === null) this.worker.postMessage({ close: true });
    await this.exited;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }
}
