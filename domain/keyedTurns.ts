/**
 * Runs tasks one at a time per key, in the order they arrive; a task that fails does not stop the
 * next. For check-then-act steps that must not interleave (two requests both finding "none yet").
 */
export class KeyedTurns {
  /** Each key's last task, settled either way; gone once nothing waits behind it. */
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return next;
  }
}
