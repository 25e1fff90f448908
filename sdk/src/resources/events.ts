import { BuffMoneyConnectionError, BuffMoneyError } from "../errors.js";
import { FeedConnection, type WebSocketConstructor } from "../feedSocket.js";
import { retryDelayMs } from "../retryPolicy.js";
import type { Environment } from "../types.js";

/** One billing event, as delivered by the feed and by webhooks. */
export interface FeedEvent {
  /** evt_<sequence>_<n>: stable. */
  id: string;
  object: "event";
  type: string;
  apiVersion: string;
  /** The ledger record the event comes from; one record can carry several events. */
  sequence: number;
  createdAt: string;
  environment: Environment;
  data: Record<string, unknown>;
}

export interface StreamParams {
  /** Events after this ledger sequence; default: from now on. */
  after?: number | undefined;
  /** Aborting ends the iteration (and closes the socket). */
  signal?: AbortSignal | undefined;
}

/** @internal How the feed reaches the server. */
export interface FeedConfig {
  baseUrl: string;
  token: string;
  retryDelayMsBase: number;
  WebSocket: WebSocketConstructor | undefined;
  /**
   * Asks the API whether the key is good: a refused WebSocket upgrade looks like any dropped
   * connection (no status reaches the client), so a stream that cannot connect asks once.
   */
  checkKey: () => Promise<void>;
}

/** The server closes the feed with this code when the key stops being valid (expired after a roll). */
const keyExpiredCloseCode = 4401;

/** Reconnects in a row that delivered nothing before the stream gives up. */
const failedReconnectsMax = 8;

/** The live feed of the key's events, over a WebSocket. */
export class Events {
  constructor(private readonly config: FeedConfig) {}

  /**
   * Events in ledger order, history after `after` first, then live. On a dropped connection it
   * reconnects from the last event seen (never repeating or skipping one), with backoff; after
   * repeated failed reconnects it throws BuffMoneyConnectionError.
   */
  stream(params: StreamParams = {}): AsyncIterable<FeedEvent> {
    const WebSocketImpl = this.config.WebSocket ?? globalWebSocket();
    if (!WebSocketImpl) {
      throw new TypeError(
        'There is no global WebSocket here (Node 20): pass one, e.g. `new BuffMoneyClient({ apiKey, WebSocket })` with `import { WebSocket } from "ws"`.',
      );
    }
    return { [Symbol.asyncIterator]: () => this.run(WebSocketImpl, params) };
  }

  private async *run(WebSocketImpl: WebSocketConstructor, params: StreamParams): AsyncGenerator<FeedEvent> {
    const { signal } = params;
    const cursor = new Cursor(params.after);
    let failures = 0;
    while (!signal?.aborted) {
      const connection = new FeedConnection(WebSocketImpl, this.url(cursor.resumeAfter));
      const onAbort = () => connection.close(1000, "aborted");
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        for (;;) {
          const raw = connection.shift();
          if (raw !== undefined) {
            const event = cursor.take(JSON.parse(raw) as unknown);
            if (event) yield event;
          } else if (connection.closed) break;
          else await connection.changed();
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        connection.close();
      }
      if (signal?.aborted || connection.paused) continue;
      if (connection.closed?.code === keyExpiredCloseCode) {
        throw new BuffMoneyError({
          code: "unauthorized",
          status: 401,
          message: connection.closed.reason || "the API key is no longer valid",
          raw: connection.closed,
        });
      }
      failures = connection.received ? 0 : failures + 1;
      // A key the server refuses is final (4xx are not retried): the API says so with a status.
      if (failures === 1 && !connection.opened) await this.config.checkKey().catch(rethrowRefusal);
      if (failures > failedReconnectsMax) {
        const { code, reason } = connection.closed ?? { code: 1006, reason: "" };
        throw new BuffMoneyConnectionError(
          `the event feed closed ${failures} times in a row without delivering anything (last close ${code}${reason ? `: ${reason}` : ""})`,
        );
      }
      await sleep(retryDelayMs(failures, this.config.retryDelayMsBase), signal);
    }
  }

  private url(after: number | undefined): string {
    const url = new URL(this.config.baseUrl.replace(/^http/, "ws") + "/v1/feed");
    // Browsers cannot set headers on a WebSocket: the key goes in the query.
    url.searchParams.set("token", this.config.token);
    if (after !== undefined) url.searchParams.set("after", String(after));
    return url.toString();
  }
}

/**
 * Where to resume. Events of one record share its sequence, so a record counts as complete only
 * when a later one starts (or the server says it has caught up); after a reconnect, events of the
 * partly seen record are recognised by ID and skipped.
 */
class Cursor {
  private current = -1;
  private readonly seenAtCurrent = new Set<string>();

  constructor(private completedThrough: number | undefined) {}

  get resumeAfter(): number | undefined {
    return this.completedThrough;
  }

  /** The event to hand out, or undefined for control messages and repeats. */
  take(message: unknown): FeedEvent | undefined {
    if (typeof message !== "object" || message === null) return undefined;
    const { object, sequence } = message as { object?: unknown; sequence?: unknown };
    if (typeof sequence !== "number") return undefined;
    if (object === "feed_caught_up") {
      this.complete(sequence);
      return undefined;
    }
    if (object !== "event") return undefined;
    const event = message as FeedEvent;
    if (this.completedThrough !== undefined && sequence <= this.completedThrough) return undefined;
    if (sequence !== this.current) {
      if (this.current >= 0) this.complete(this.current);
      this.current = sequence;
      this.seenAtCurrent.clear();
    }
    if (this.seenAtCurrent.has(event.id)) return undefined;
    this.seenAtCurrent.add(event.id);
    return event;
  }

  private complete(sequence: number): void {
    if (this.completedThrough === undefined || sequence > this.completedThrough) {
      this.completedThrough = sequence;
    }
  }
}

function globalWebSocket(): WebSocketConstructor | undefined {
  const candidate = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof candidate === "function" ? (candidate as WebSocketConstructor) : undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A 4xx answer (a wrong or expired key) ends the stream; anything else is left to the retries. */
function rethrowRefusal(error: unknown): void {
  if (error instanceof BuffMoneyError && error.status >= 400 && error.status < 500 && error.status !== 429)
    throw error;
}
