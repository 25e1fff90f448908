import { limits } from "../domain/limits.js";
import type { Environment } from "../domain/environment.js";
import { newId } from "../domain/ids.js";
import { DomainError } from "../domain/errors.js";
import type { Log } from "../wal/log.js";
import type { WalletService } from "./wallets.js";
import { timerPrefix, timerRangeEnd, type ExpiryTimer } from "./walletIndexes.js";

/** Another kind of durable timer: index entries `<prefix><15-digit due ms>!<id>`, fired when due. */
export interface TimerKind {
  prefix: string;
  /** Returns whether it fired; a timer that is not settled by its own record stays and fires again. */
  fire(key: string, value: string, now: number): Promise<boolean>;
}

/**
 * Fires durable timers. Timers are index entries written with the record that set them and
 * removed with the record that settles them, so a restart neither forgets nor repeats one:
 * an expiry that already happened is rejected by the wallet machine and the entry dropped.
 */
export class TimerSweeper {
  private handle: NodeJS.Timeout | null = null;
  /** The sweep in progress, and the time it fires timers up to. */
  private sweeping: { until: number; done: Promise<number> } | null = null;
  private readonly kinds: TimerKind[] = [];

  constructor(
    private readonly log: Log,
    private readonly wallets: WalletService,
    private readonly intervalMs: number = limits.timerSweepIntervalMs,
  ) {}

  addKind(kind: TimerKind): void {
    this.kinds.push(kind);
  }

  start(): void {
    if (this.handle) return;
    this.handle = setInterval(() => void this.sweep(), this.intervalMs);
    this.handle.unref();
  }

  /**
   * Fires what came due while the server was down, before it takes requests: a hold that expired
   * meanwhile must not keep its funds from a debit until the first periodic sweep. A failure is left
   * to the periodic sweeps, which retry.
   */
  async catchUp(): Promise<void> {
    for (let sweeps = 0; sweeps < limits.timerCatchUpSweepsMax; sweeps++) {
      const fired = await this.sweep().catch(() => 0);
      if (fired === 0) return;
    }
  }

  async stop(): Promise<void> {
    if (this.handle) clearInterval(this.handle);
    this.handle = null;
    await this.sweeping?.done;
  }

  /** Fires every timer due at or before `now` (ledger time); returns how many fired. */
  sweep(now: number = this.log.now()): Promise<number> {
    const current = this.sweeping;
    // A sweep in progress answers for a `now` it covers. A later one (a sandbox test clock, or the
    // periodic sweep's own clock running behind the caller's) waits for it, then sweeps again:
    // answering with the earlier sweep would leave timers due at `now` unfired.
    if (current && current.until >= now) return current.done;
    const done: Promise<number> = (current ? current.done.catch(() => 0) : Promise.resolve(0))
      .then(() => this.fireDue(now))
      .finally(() => {
        if (this.sweeping?.done === done) this.sweeping = null;
      });
    this.sweeping = { until: now, done };
    return done;
  }

  private async fireDue(now: number): Promise<number> {
    const due: Array<{ key: string; timer: ExpiryTimer }> = [];
    for await (const [key, value] of this.log.db.iterator({
      gte: timerPrefix,
      lt: timerRangeEnd(now),
      limit: 1000,
    })) {
      due.push({ key, timer: JSON.parse(value) as ExpiryTimer });
    }
    const fired = await Promise.all(due.map(({ key, timer }) => this.fire(key, timer)));
    for (const kind of this.kinds) fired.push(...(await this.fireKind(kind, now)));
    return fired.filter(Boolean).length;
  }

  private async fireKind(kind: TimerKind, now: number): Promise<boolean[]> {
    const due: Array<[string, string]> = [];
    const end = `${kind.prefix}${(now + 1).toString().padStart(15, "0")}`;
    for await (const entry of this.log.db.iterator({ gte: kind.prefix, lt: end, limit: 1000 }))
      due.push(entry);
    return Promise.all(due.map(([key, value]) => kind.fire(key, value, now)));
  }

  private async fire(key: string, timer: ExpiryTimer): Promise<boolean> {
    const customer = {
      id: timer.customerId,
      env: timer.env as Environment,
      merchantId: timer.merchantId,
      externalId: "",
      name: null,
      email: null,
      testClockId: null,
      createdAt: 0,
    };
    try {
      await this.wallets.execute(customer, ({ at }) => ({
        type: "wallet.expire",
        reservationId: timer.reservationId,
        transactionId: newId("wtx"),
        at,
      }));
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.code === ("reservation_not_found" as string)) {
        // Settled already (captured or released in the same instant): the timer is stale.
        await this.log.db.del(key);
        return false;
      }
      if (error instanceof DomainError) return false;
      throw error;
    }
  }
}
