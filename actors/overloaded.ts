/** A bounded queue is full: the caller answers 503 with Retry-After instead of queueing without end. */
export class OverloadedError extends Error {
  constructor(what: string) {
    super(what);
    this.name = "OverloadedError";
  }
}
