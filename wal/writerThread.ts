import { Worker } from "node:worker_threads";

/**
 * Records handed to the writer thread at once (it forms the group commits from what arrives). Record
 * i has sequence `firstSeq + i`. Its canonical body is `bodies[i]` with the previous record's hash
 * inserted at `splits[i]`. Its index entries are the next `opCounts[i]` triples of `ops`: "p" key
 * value, or "d" key "". The entities it is listed under in the entity index are the next
 * `entityCounts[i]` of `entities`. (An array of whole strings is the cheapest shape to send: no
 * string is cut or joined for it.)
 */
export interface WriterBatch {
  firstSeq: number;
  bodies: string[];
  splits: Int32Array;
  ops: string[];
  opCounts: Int32Array;
  entities: string[];
  entityCounts: Int32Array;
}

export interface WriterThreadOptions {
  /** The ledger's store. */
  location: string;
  /** The last durable record's hash: the first record written chains to it. */
  prevHash: string;
  /** Told when every record through `throughSeq` is synced; `hashes` are those the report covers. */
  onWritten: (throughSeq: number, hashes: string, ms: number) => void;
  /** Told when a write failed (or the thread ended): nothing more will be written. */
  onWriteFailure: (error: Error) => void;
  /** The entity index's store, and the format of the values it keeps (entityIndex.ts). */
  indexLocation: string;
  indexFormat: string;
  /** Told when the entity index lists every record through `seq`. */
  onIndexed: (seq: number) => void;
  /** Told when the entity index could not be written (or the thread ended): nothing more will be. */
  onIndexFailure: (error: Error) => void;
}

type Reply =
  | { ready: true }
  | { written: number; hashes: string; ms: number }
  | { error: string }
  | { indexed: number }
  | { indexError: string }
  | { closed: true };

/**
 * The main thread's side of the log's writer thread (writerWorker.js), which hashes the chain, makes
 * the records durable and then lists them in the entity index: that work leaves the thread that runs
 * the actors and the API. Records are sent as soon as they are appended; the thread hashes them on
 * arrival and commits in groups (whatever arrived during one synced write goes into the next), and
 * reports each write in order. It keeps the process alive only while it has work in hand, as writes
 * on the main thread would.
 */
export class WriterThread {
  private failure: Error | null = null;
  private readonly exited: Promise<void>;
  private closedReply: (() => void) | null = null;
  private stopping = false;
  /** The last record sent, the last reported written, and the last the entity index lists. */
  private sentSeq = 0;
  private writtenSeq = 0;
  private indexedSeq = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly options: WriterThreadOptions,
  ) {
    this.exited = new Promise((resolve) => worker.once("exit", () => resolve()));
    worker.on("message", (reply: Reply) => this.receive(reply));
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => this.fail(new Error(`the ledger's writer thread exited (code ${code})`)));
  }

  /** Starts the thread; resolves once it has opened both stores. */
  static start(options: WriterThreadOptions): Promise<WriterThread> {
    const { location, prevHash, indexLocation, indexFormat } = options;
    const worker = new Worker(new URL("./writerWorker.js", import.meta.url), {
      workerData: { location, prevHash, indexLocation, indexFormat },
    });
    return new Promise((resolve, reject) => {
      const failed = (error: unknown) => reject(error);
      const exited = (code: number) =>
        reject(new Error(`the ledger's writer thread exited while opening the stores (code ${code})`));
      worker.once("error", failed);
      worker.once("exit", exited);
      worker.once("message", () => {
        worker.off("error", failed);
        worker.off("exit", exited);
        worker.unref();
        resolve(new WriterThread(worker, options));
      });
    });
  }

  /** Hands records over to be written (see WriterBatch); onWritten reports them, in order. */
  send(batch: WriterBatch): void {
    if (this.failure) return;
    this.sentSeq = batch.firstSeq + batch.bodies.length - 1;
    this.worker.ref();
    this.worker.postMessage({ batch });
  }

  /**
   * Waits for what was handed over to be written and listed, closes the thread's handles on the
   * stores and waits for the thread to end.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    // Kept alive until the stores are closed: a process must not end with them half closed.
    this.worker.ref();
    if (this.failure === null) {
      const closed = new Promise<void>((resolve) => (this.closedReply = resolve));
      this.worker.postMessage({ close: true });
      await Promise.race([closed, this.exited]);
    }
    await this.exited;
  }

  private receive(reply: Reply): void {
    if ("written" in reply) {
      this.writtenSeq = reply.written;
      this.options.onWritten(reply.written, reply.hashes, reply.ms);
    } else if ("indexed" in reply) {
      this.indexedSeq = reply.indexed;
      this.options.onIndexed(reply.indexed);
    } else if ("error" in reply) {
      this.fail(new Error(`the ledger's writer thread could not write: ${reply.error}`));
    } else if ("indexError" in reply) {
      this.options.onIndexFailure(new Error(`the entity index could not be written: ${reply.indexError}`));
    } else if ("closed" in reply) {
      this.closedReply?.();
      return;
    }
    // Unreferenced once idle: an open log alone must not keep a process from ending. Not while
    // stopping: the process waits for the stores to close.
    if (!this.stopping && this.writtenSeq >= this.sentSeq && this.indexedSeq >= this.sentSeq)
      this.worker.unref();
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    // Ending when told to stop is no failure.
    if (this.stopping) return;
    this.options.onWriteFailure(error);
    this.options.onIndexFailure(error);
  }
}
