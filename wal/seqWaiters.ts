/**
 * Callers waiting for a sequence to be reached (written, durable). Each waits for the sequence it
 * named, never for whatever arrives after it asked: under steady load there is always more.
 */
export class SeqWaiters {
  private readonly waiting: Array<{ throughSeq: number; resolve: () => void }> = [];

  /** Resolves once `wake` reports `throughSeq` reached (or lets everyone go). */
  until(throughSeq: number): Promise<void> {
    return new Promise((resolve) => this.waiting.push({ throughSeq, resolve }));
  }

  /** Lets go everyone waiting for `reachedSeq` or below; everyone, when nothing more will be reached. */
  wake(reachedSeq: number, everyone = false): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const waiter = this.waiting[i] as { throughSeq: number; resolve: () => void };
      if (everyone || waiter.throughSeq <= reachedSeq) {
        this.waiting.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}
