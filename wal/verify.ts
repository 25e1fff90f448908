import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { verifyRange, type IntegrityFailure, type RangeReader, type RangeResult } from "./chainRange.js";
import { LogIntegrityError } from "./errors.js";
import { genesisHash } from "./record.js";

export interface VerifyOptions {
  /** Logs at least this long are checked by worker threads, a range each. */
  parallelMinRecords?: number;
  onProgress?: (seq: number) => void;
  /** Stops the workers (the log is being closed). */
  signal?: AbortSignal;
}

/** Below this a worker's start (~0.1 s) costs more than it saves. */
const defaultParallelMinRecords = 200_000;

/**
 * Verifies records 1..lastSeq — contiguous sequence, every checksum, the whole hash chain — and
 * returns the last record's hash. Long logs are split into ranges checked by worker threads that
 * open the same store; their boundaries are chained here. Throws LogIntegrityError naming the
 * first sequence that fails.
 */
export async function verifyLog(
  db: RangeReader,
  location: string,
  lastSeq: number,
  options: VerifyOptions = {},
): Promise<string> {
  if (lastSeq === 0) return genesisHash;
  const workers = Math.min(4, Math.max(2, availableParallelism()));
  const parallel = lastSeq >= (options.parallelMinRecords ?? defaultParallelMinRecords);
  const ranges = parallel ? splitRange(lastSeq, workers) : [{ fromSeq: 1, toSeq: lastSeq }];
  const results = await Promise.all(
    ranges.map(({ fromSeq, toSeq }) =>
      parallel
        ? verifyInWorker(location, fromSeq, toSeq, options)
        : verifyRange(db, fromSeq, toSeq, options.onProgress),
    ),
  );
  let prevHash = genesisHash;
  for (const [i, result] of results.entries()) {
    const fromSeq = ranges[i]?.fromSeq ?? 1;
    const chainsToPrevious = result.firstPrevHash === "" || result.firstPrevHash === prevHash;
    if (!chainsToPrevious) throw integrityError({ seq: fromSeq, problem: "broken_chain" });
    if (!result.ok) throw integrityError(result);
    prevHash = result.lastHash;
  }
  return prevHash;
}

/** Near-equal ranges covering 1..lastSeq; none empty (a log shorter than `parts` gets fewer). */
function splitRange(lastSeq: number, parts: number): Array<{ fromSeq: number; toSeq: number }> {
  return Array.from({ length: parts }, (_, i) => ({
    fromSeq: Math.floor((lastSeq * i) / parts) + 1,
    toSeq: Math.floor((lastSeq * (i + 1)) / parts),
  })).filter(({ fromSeq, toSeq }) => fromSeq <= toSeq);
}

function verifyInWorker(
  location: string,
  fromSeq: number,
  toSeq: number,
  options: VerifyOptions,
): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./chainWorker.js", import.meta.url), {
      workerData: { location, fromSeq, toSeq },
    });
    const abort = () => {
      void worker.terminate();
      reject(new Error("ledger verification stopped: the log is closing"));
    };
    options.signal?.addEventListener("abort", abort, { once: true });
    let result: RangeResult | undefined;
    worker.on("message", (message: { progress?: number; result?: RangeResult }) => {
      if (message.progress !== undefined) options.onProgress?.(message.progress);
      if (message.result) result = message.result;
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      options.signal?.removeEventListener("abort", abort);
      if (result) resolve(result);
      else reject(new Error(`ledger verification worker for ${fromSeq}..${toSeq} exited with ${code}`));
    });
  });
}

export function integrityError(failure: IntegrityFailure): LogIntegrityError {
  const { seq } = failure;
  switch (failure.problem) {
    case "gap":
      return new LogIntegrityError(
        seq,
        "gap",
        failure.found === null
          ? `ledger record ${seq} is missing: the log has a gap`
          : `ledger record ${seq} is missing (found ${failure.found} next): the log has a gap`,
      );
    case "broken_chain":
      return new LogIntegrityError(
        seq,
        "broken_chain",
        `ledger record ${seq} does not chain to record ${seq - 1}: the hash chain is broken`,
      );
    case "bad_checksum":
      return new LogIntegrityError(
        seq,
        "bad_checksum",
        `ledger record ${seq} fails its checksum: its bytes were changed`,
      );
    case "malformed":
      return new LogIntegrityError(seq, "malformed", `ledger record ${seq} cannot be read`);
  }
}
