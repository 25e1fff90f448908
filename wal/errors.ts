/** The log cannot be trusted: startup stops, naming the sequence where trust ended. */
export class LogIntegrityError extends Error {
  constructor(
    readonly seq: number,
    readonly problem:
      | "gap"
      | "bad_checksum"
      | "broken_chain"
      | "malformed"
      | "sequence_mismatch"
      /** The runtime's checkpoint names a record the log no longer holds, or holds changed. */
      | "checkpoint_ahead_of_log"
      | "checkpoint_mismatch"
      /** The entity index lists records past the log's head: the log lost acknowledged records. */
      | "index_ahead_of_log",
    message: string,
  ) {
    super(message);
    this.name = "LogIntegrityError";
  }
}

/** The log refused more work: its commit queue is full. Callers answer 503 with Retry-After. */
export class LogOverloadedError extends Error {
  constructor() {
    super("commit queue is full");
    this.name = "LogOverloadedError";
  }
}
