import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { limits } from "../domain/limits.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import { auditEntity, type Actor } from "./audit.js";

export type TestClockStatus = "ready" | "advancing";

/** Sandbox only: simulated time for the customers created on the clock, moved forward by `advance`. */
export interface TestClock {
  id: string;
  env: Environment;
  merchantId: string;
  name: string | null;
  /** The clock's time, ms since epoch. */
  frozenTime: number;
  status: TestClockStatus;
  createdAt: number;
}

/** Runs what falls due on the clock's customers up to `to` (the billing engine plugs in here). */
export type TestClockAdvancer = (clock: TestClock, to: number) => Promise<void>;

type Idempotency = (clock: TestClock) => { scope: string; op: IndexOp };

const clockIndex = (id: string) => `x!clock!${id}`;
/** The entity whose record index lists the customers created on a clock (their customer.created). */
export const testClockCustomersEntity = (clockId: string) => `test_clock_customers:${clockId}`;

/**
 * Sandbox test clocks. Creating and advancing a clock are log records naming who did it, listed in
 * the merchant's audit trail; the clock is read back from its x! index entry through a bounded cache.
 */
export class TestClockDirectory {
  private readonly cache = new Map<string, TestClock>();
  /** Clocks whose advance is running (by env, merchant and id): in memory only, see `advance`. */
  private readonly advancing = new Set<string>();
  private advancer: TestClockAdvancer | undefined;

  constructor(
    private readonly log: Log,
    private readonly onCommitted: (record: CommittedRecord) => void,
  ) {}

  /** The hook `advance` awaits before it moves the clock; none: advancing only moves the time. */
  setAdvancer(advancer: TestClockAdvancer | undefined): void {
    this.advancer = advancer;
  }

  async create(
    env: Environment,
    merchantId: string,
    input: { frozenTime: number; name?: string | null | undefined },
    actor: Actor,
    idempotency?: Idempotency,
  ): Promise<TestClock> {
    sandboxOnly(env);
    checkTime(input.frozenTime);
    const name = input.name?.trim() || null;
    if (name !== null && name.length > limits.nameLengthMax) {
      throw new DomainError("invalid_request", `name must be at most ${limits.nameLengthMax} characters`);
    }
    const at = this.log.now();
    const clock: TestClock = {
      id: newId("clock"),
      env,
      merchantId,
      name,
      frozenTime: input.frozenTime,
      status: "ready",
      createdAt: at,
    };
    const fields = { testClockId: clock.id, name, frozenTime: clock.frozenTime, by: actor };
    await this.write(
      clock,
      at,
      { type: "test_clock.create", ...fields },
      { type: "test_clock.created", ...fields },
      idempotency,
    );
    return clock;
  }

  /** The clock, "advancing" while an advance of it runs. Live has no clocks: always undefined there. */
  async find(env: Environment, merchantId: string, id: string): Promise<TestClock | undefined> {
    if (env !== "test") return undefined;
    let clock = this.cache.get(id);
    if (!clock) {
      const stored = await this.log.get(clockIndex(id));
      if (stored === undefined) return undefined;
      clock = JSON.parse(stored) as TestClock;
      this.remember(clock);
    }
    if (clock.env !== env || clock.merchantId !== merchantId) return undefined;
    return this.advancing.has(lockKey(clock)) ? { ...clock, status: "advancing" } : clock;
  }

  async require(env: Environment, merchantId: string, id: string): Promise<TestClock> {
    sandboxOnly(env);
    const clock = await this.find(env, merchantId, id);
    if (!clock) throw new DomainError("test_clock_not_found", `no test clock ${id}`);
    return clock;
  }

  /**
   * Moves the clock forward to `to`: first the advancer runs what falls due up to then, then the
   * `test_clock.advanced` record moves the time. One advance of a clock at a time. "advancing" is
   * never written: a restart in the middle leaves the clock ready at its old time, and the advance
   * can simply be repeated (what the advancer already ran is recorded and does not fall due again).
   */
  async advance(
    env: Environment,
    merchantId: string,
    id: string,
    to: number,
    actor: Actor,
    idempotency?: Idempotency,
  ): Promise<TestClock> {
    sandboxOnly(env);
    const lock = lockKey({ env, merchantId, id });
    if (this.advancing.has(lock)) {
      throw new DomainError("test_clock_advancing", `test clock ${id} is already advancing`);
    }
    this.advancing.add(lock);
    try {
      const clock = await this.require(env, merchantId, id);
      checkTime(to);
      if (to <= clock.frozenTime) {
        throw new DomainError(
          "test_clock_time_invalid",
          `a test clock only moves forward: frozenTime must be after its current frozenTime, ${new Date(clock.frozenTime).toISOString()}`,
        );
      }
      if (to - clock.frozenTime > limits.testClockAdvanceMsMax) {
        throw new DomainError("test_clock_time_invalid", "a test clock advances at most two years at a time");
      }
      await this.advancer?.(clock, to);
      const advanced: TestClock = { ...clock, frozenTime: to, status: "ready" };
      const fields = { testClockId: id, previousFrozenTime: clock.frozenTime, frozenTime: to, by: actor };
      await this.write(
        advanced,
        this.log.now(),
        { type: "test_clock.advance", ...fields },
        { type: "test_clock.advanced", name: clock.name, ...fields },
        idempotency,
      );
      return advanced;
    } finally {
      this.advancing.delete(lock);
    }
  }

  private async write(
    clock: TestClock,
    at: number,
    command: { type: string; [k: string]: unknown },
    fact: { type: string; [k: string]: unknown },
    idempotency: Idempotency | undefined,
  ): Promise<void> {
    const ops: IndexOp[] = [{ type: "put", key: clockIndex(clock.id), value: JSON.stringify(clock) }];
    const idem = idempotency?.(clock);
    if (idem) ops.push(idem.op);
    const record = await this.log.append(
      {
        env: clock.env,
        merchantId: clock.merchantId,
        entity: `test_clock:${clock.id}`,
        command,
        facts: [fact],
        postings: [],
        keys: idem ? [idem.scope] : [],
        touches: [auditEntity(clock.env, clock.merchantId)],
      },
      at,
      ops,
    );
    this.remember(clock);
    this.onCommitted(record);
  }

  private remember(clock: TestClock): void {
    if (this.cache.size >= limits.testClocksCachedMax) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(clock.id, clock);
  }
}

function sandboxOnly(env: Environment): void {
  if (env !== "test") throw new DomainError("sandbox_only", "test clocks exist in the sandbox only");
}

function checkTime(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > limits.testClockTimeMsMax) {
    throw new DomainError("test_clock_time_invalid", "the time must be between 1970 and 9999");
  }
}

const lockKey = (clock: Pick<TestClock, "env" | "merchantId" | "id">) =>
  `${clock.env}!${clock.merchantId}!${clock.id}`;
