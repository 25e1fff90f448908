import { channelLimits } from "../limits.js";
import type { Clock } from "../time.js";

/** How one callback send is shaped. Only WeChat has probes, serials and signed timestamps. */
export type SendMode = "valid" | "probe" | "bad_signature" | "stale_timestamp" | "unknown_serial";

export interface CallbackRequest {
  headers: Record<string, string>;
  body: string;
}

export interface CallbackJob {
  eventId: string;
  url: string;
  /** e.g. `TRANSACTION.SUCCESS S2021…`; for the delivery log. */
  label: string;
  /** Called once per send, so every send can carry fresh signatures. `null`: mode not supported. */
  build(mode: SendMode): CallbackRequest | null;
  isAcknowledged(status: number, body: string): boolean;
}

export const callbackTampers = ["bad_signature", "stale_timestamp", "unknown_serial"] as const;

export interface CallbackFaults {
  /** Wait before the first send (real ms, not scaled). */
  delayMs?: number | undefined;
  /** The first N sends are lost on the way and count as failed. */
  dropAttempts?: number | undefined;
  /** After acknowledgement, send this many more freshly signed copies. */
  duplicates?: number | undefined;
  /** After acknowledgement, send the very same request (headers and bytes) again. */
  replay?: boolean | undefined;
  /** Keep the callback until `release()`, to deliver held callbacks out of order. */
  hold?: boolean | undefined;
  /** Send WeChat's signature probe (`WECHATPAY/SIGNTEST/…`) before the first real send. */
  probe?: boolean | undefined;
  /** The first real send is tampered with; retries are genuine. */
  tamper?: (typeof callbackTampers)[number] | undefined;
}

export type AttemptKind = "notify" | "retry" | "probe" | "duplicate" | "replay" | "dropped" | "gave_up";

export interface DeliveryAttempt {
  seq: number;
  eventId: string;
  label: string;
  url: string;
  kind: AttemptKind;
  mode: SendMode;
  attempt: number;
  at: number;
  status?: number;
  responseBody?: string;
  error?: string;
  acknowledged: boolean;
}

export interface CallbackDeliveryOptions {
  /** Intervals before each retry after a failed send. */
  retryDelaysMs: readonly number[];
  /** Multiplies every retry interval; 0.001 turns WeChat's 15 s into 15 ms. */
  retryScale?: number;
  now: Clock;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface CallbackDelivery {
  enqueue(job: CallbackJob, faults?: CallbackFaults): void;
  /** Delivers held callbacks one after another (first send each); resolves when done. */
  release(order: "fifo" | "reverse"): Promise<number>;
  heldCount(): number;
  log(): readonly DeliveryAttempt[];
  /** Resolves once nothing is scheduled or in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  job: CallbackJob;
  faults: CallbackFaults;
  sends: number;
}

export function createCallbackDelivery(options: CallbackDeliveryOptions): CallbackDelivery {
  const doFetch = options.fetch ?? fetch;
  const scale = options.retryScale ?? 1;
  const timeoutMs = options.timeoutMs ?? channelLimits.simulatorCallbackTimeoutMs;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  const aborter = new AbortController();
  const attempts: DeliveryAttempt[] = [];
  let held: Entry[] = [];
  let seq = 0;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const record = (
    entry: Entry,
    partial: Omit<DeliveryAttempt, "seq" | "eventId" | "label" | "url" | "at">,
  ) => {
    attempts.push({
      seq: ++seq,
      eventId: entry.job.eventId,
      label: entry.job.label,
      url: entry.job.url,
      at: options.now(),
      ...partial,
    });
    if (attempts.length > channelLimits.simulatorDeliveryLogEntriesMax) attempts.shift();
  };

  const checkIdle = () => {
    if (timers.size > 0 || inFlight.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const later = (delayMs: number, run: () => Promise<void>) => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      track(run());
    }, delayMs);
    timers.add(timer);
  };

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => {
      inFlight.delete(work);
      checkIdle();
    });
  };

  const send = async (
    request: CallbackRequest,
    url: string,
  ): Promise<{ status?: number; body?: string; error?: string }> => {
    try {
      const response = await doFetch(url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.any([aborter.signal, AbortSignal.timeout(timeoutMs)]),
      });
      return { status: response.status, body: (await response.text()).slice(0, 512) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };

  const sendLogged = async (entry: Entry, kind: AttemptKind, mode: SendMode, request?: CallbackRequest) => {
    const built = request ?? entry.job.build(mode);
    if (!built) return { acknowledged: false, request: undefined };
    const result = await send(built, entry.job.url);
    const acknowledged =
      result.status !== undefined && entry.job.isAcknowledged(result.status, result.body ?? "");
    record(entry, {
      kind,
      mode,
      attempt: entry.sends,
      acknowledged,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.body !== undefined ? { responseBody: result.body } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
    });
    return { acknowledged, request: built };
  };

  const afterAcknowledged = async (entry: Entry, accepted: CallbackRequest) => {
    if (entry.faults.replay) await sendLogged(entry, "replay", "valid", accepted);
    for (let i = 0; i < (entry.faults.duplicates ?? 0) && !closed; i++) {
      await sendLogged(entry, "duplicate", "valid");
    }
  };

  const attempt = async (entry: Entry): Promise<void> => {
    if (closed) return;
    entry.sends += 1;
    const kind: AttemptKind = entry.sends === 1 ? "notify" : "retry";
    let acknowledged = false;
    if (entry.sends <= (entry.faults.dropAttempts ?? 0)) {
      record(entry, { kind: "dropped", mode: "valid", attempt: entry.sends, acknowledged: false });
    } else {
      const firstReal = entry.sends === (entry.faults.dropAttempts ?? 0) + 1;
      if (firstReal && entry.faults.probe) await sendLogged(entry, "probe", "probe");
      const mode: SendMode = firstReal && entry.faults.tamper ? entry.faults.tamper : "valid";
      const result = await sendLogged(entry, kind, mode);
      acknowledged = result.acknowledged && mode === "valid";
      if (acknowledged && result.request) await afterAcknowledged(entry, result.request);
    }
    if (acknowledged || closed) return;
    const delay = options.retryDelaysMs[entry.sends - 1];
    if (delay === undefined) {
      record(entry, { kind: "gave_up", mode: "valid", attempt: entry.sends, acknowledged: false });
      return;
    }
    later(Math.round(delay * scale), () => attempt(entry));
  };

  return {
    enqueue(job, faults = {}) {
      if (closed) return;
      const entry: Entry = { job, faults, sends: 0 };
      if (faults.hold) held.push(entry);
      else later(faults.delayMs ?? 0, () => attempt(entry));
    },
    async release(order) {
      const batch = order === "reverse" ? [...held].reverse() : held;
      held = [];
      for (const entry of batch) {
        const work = attempt(entry);
        track(work);
        await work;
      }
      return batch.length;
    },
    heldCount: () => held.length,
    log: () => attempts,
    idle() {
      if (timers.size === 0 && inFlight.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      held = [];
      aborter.abort();
      await Promise.allSettled([...inFlight]);
      checkIdle();
    },
  };
}
