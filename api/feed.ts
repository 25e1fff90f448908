import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { z } from "zod";
import type { ApiKeyOwner, Runtime } from "../actors/index.js";
import { DomainError, statusOf } from "../domain/errors.js";
import { limits } from "../domain/limits.js";
import { operation, type Operation } from "./operation.js";
import { billingEvent } from "./eventSchemas.js";

export interface FeedOptions {
  /** Past this many bytes queued in the socket, the client is cut off. */
  bufferedBytesMax?: number;
  /** Above this many bytes queued, sending waits for the socket to drain. */
  sendHighWaterBytes?: number;
  /** Live records waiting for a client that has not taken them: past it, the client is cut off. */
  backlogRecordsMax?: number;
  pingIntervalMs?: number;
  connectionsMax?: number;
  /** Connections one merchant may hold open in one environment. */
  connectionsPerMerchantMax?: number;
}

export interface FeedServer {
  /** Clients being streamed to. */
  readonly connections: number;
  /** Closes every connection (1001, naming where to resume) and stops accepting new ones. */
  close(): Promise<void>;
}

const feedPath = "/v1/feed";
const slowConsumerCloseCode = 4008;
/** The key the connection signed in with has expired (it was rolled): reconnect with its replacement. */
const keyExpiredCloseCode = 4401;
const closeGraceMs = 1_000;

const feedQuery = z.object({
  after: z
    .string()
    .regex(/^\d{1,16}$/)
    .optional()
    .meta({ description: "Stream events after this ledger sequence (default: from now on)." }),
  token: z.string().optional().meta({ description: "The API key, for browsers that cannot set headers." }),
});

/** The feed in the OpenAPI document: a GET that upgrades to a WebSocket (a plain GET gets 426). */
export function feedOperations(): Operation[] {
  return [
    operation({
      operationId: "streamEvents",
      method: "get",
      path: feedPath,
      summary:
        "WebSocket (send Upgrade: websocket): your events in ledger order as JSON messages — history after `after`, then live — " +
        'and one {"object":"feed_caught_up","sequence":n} when history is done. A slow reader is closed with 4008 ' +
        "and the sequence to resume after.",
      tag: "Events",
      auth: "merchant",
      query: feedQuery,
      response: billingEvent,
      status: 101,
      handle: (ctx) => {
        ctx.set("Upgrade", "websocket");
        throw new DomainError("upgrade_required", "the feed is a WebSocket: send Upgrade: websocket");
      },
    }),
  ];
}

/** Serves the feed on the API's HTTP server: upgrades on /v1/feed, authenticated by API key. */
export function attachFeed(server: Server, runtime: Runtime, options: FeedOptions = {}): FeedServer {
  const settings = {
    bufferedBytesMax: options.bufferedBytesMax ?? limits.feedBufferedBytesMax,
    sendHighWaterBytes: options.sendHighWaterBytes ?? limits.feedSendHighWaterBytes,
    backlogRecordsMax: options.backlogRecordsMax ?? limits.feedBacklogRecordsMax,
    connectionsMax: options.connectionsMax ?? limits.feedConnectionsMax,
    connectionsPerMerchantMax: options.connectionsPerMerchantMax ?? limits.feedConnectionsPerMerchantMax,
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4_096 });
  const sessions = new Set<FeedSession>();
  /** Connections held per merchant and environment, counted from acceptance to close. */
  const held = new Map<string, number>();
  const ownerKey = (owner: ApiKeyOwner) => `${owner.env}:${owner.merchantId}`;
  const release = (owner: ApiKeyOwner) => {
    const count = (held.get(ownerKey(owner)) ?? 1) - 1;
    if (count > 0) held.set(ownerKey(owner), count);
    else held.delete(ownerKey(owner));
  };
  /** The key each session signed in with, held to notice when it is rolled and expires. */
  const keys = new Map<FeedSession, string>();
  const recheckKeys = async () => {
    for (const [session, token] of keys) {
      if (!(await runtime.merchants.authenticate(token))) session.keyExpired();
    }
  };
  // A key rolled with no overlap stops now, also for a connection it opened; one with an overlap
  // is caught by the heartbeat after it ends.
  const unsubscribeRolls = runtime.merchants.onKeyRolled(() => void recheckKeys());
  let closing = false;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    accept(request).then(
      ({ owner, after, token }) => {
        if (closing || socket.destroyed) {
          release(owner);
          if (closing) refuse(socket, 503, "overloaded", "the server is shutting down");
          return;
        }
        // Released when the session closes, or with the socket if the upgrade never completes.
        let upgraded = false;
        socket.once("close", () => {
          if (!upgraded) release(owner);
        });
        wss.handleUpgrade(request, socket, head, (ws) => {
          upgraded = true;
          const session = new FeedSession(ws, runtime, owner, after, settings);
          sessions.add(session);
          keys.set(session, token);
          ws.once("close", () => {
            sessions.delete(session);
            keys.delete(session);
            release(owner);
          });
          void session.run();
        });
      },
      (error: unknown) => {
        if (error instanceof DomainError)
          return refuse(socket, statusOf(error.code), error.code, error.message);
        console.error("feed upgrade failed", error);
        refuse(socket, 500, "internal_error", "an unexpected error occurred");
      },
    );
  };

  const accept = async (
    request: IncomingMessage,
  ): Promise<{ owner: ApiKeyOwner; after: number; token: string }> => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== feedPath) throw new DomainError("not_found", `no WebSocket at ${url.pathname}`);
    if (closing || sessions.size >= settings.connectionsMax) {
      throw new DomainError("overloaded", "too many feed connections; retry shortly");
    }
    const header = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    const token = header ?? url.searchParams.get("token") ?? undefined;
    const owner = token === undefined ? undefined : await runtime.merchants.authenticate(token);
    if (!owner || token === undefined) {
      throw new DomainError("unauthorized", "send 'Authorization: Bearer <key>' or ?token=<key>");
    }
    const after = url.searchParams.get("after");
    if (after !== null && !/^\d{1,16}$/.test(after)) {
      throw new DomainError("invalid_request", "after must be a ledger sequence (a non-negative integer)");
    }
    const holding = held.get(ownerKey(owner)) ?? 0;
    if (holding >= settings.connectionsPerMerchantMax) {
      throw new DomainError(
        "rate_limited",
        `this merchant has ${holding} feed connections open in ${owner.env === "live" ? "live" : "the sandbox"}, the most it may: close one first`,
      );
    }
    // Counted from here, not once upgraded: connections opened at once cannot all pass the check.
    held.set(ownerKey(owner), holding + 1);
    return { owner, after: after === null ? runtime.log.durableHead : Number(after), token };
  };

  server.on("upgrade", onUpgrade);
  const heartbeat = setInterval(() => {
    for (const session of sessions) session.heartbeat();
    void recheckKeys();
  }, options.pingIntervalMs ?? limits.feedPingIntervalMs);
  heartbeat.unref();

  return {
    get connections() {
      return [...sessions].filter((s) => s.streaming).length;
    },
    async close() {
      closing = true;
      clearInterval(heartbeat);
      unsubscribeRolls();
      server.off("upgrade", onUpgrade);
      await Promise.all([...sessions].map((s) => s.shutdown()));
      wss.close();
    },
  };
}

function refuse(socket: Duplex, status: number, code: string, detail: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ type: `https://docs.buffmoney.dev/errors/${code}`, status, code, detail });
  socket.end(
    `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n` +
      (status === 503 ? "Retry-After: 1\r\n" : "") +
      `\r\n${body}`,
  );
}

interface SessionSettings {
  bufferedBytesMax: number;
  sendHighWaterBytes: number;
  backlogRecordsMax: number;
}

/** One client: its merchant and environment's events, history first, then live, with back-pressure. */
class FeedSession {
  private alive = true;
  private closed = false;
  /** Waiting for the socket to take what was sent. */
  private draining = false;
  /** Every event up to this sequence has been sent. */
  private sentThrough: number;
  private lastSend: Promise<void> = Promise.resolve();
  private readonly ended: Promise<void>;
  private readonly tail;

  constructor(
    private readonly ws: WebSocket,
    private readonly runtime: Runtime,
    owner: ApiKeyOwner,
    after: number,
    private readonly settings: SessionSettings,
  ) {
    this.sentThrough = after;
    this.tail = runtime.events.tail({ env: owner.env, merchantId: owner.merchantId }, after, {
      backlogRecordsMax: settings.backlogRecordsMax,
      // Records pile up while the socket is full: the client is not reading. Otherwise it is only
      // this server that is behind, and the tail catches up from the log.
      onOverflow: () => this.draining && this.cutOff(),
    });
    this.ended = new Promise((resolve) => ws.once("close", () => resolve()));
    ws.on("pong", () => {
      this.alive = true;
    });
    ws.once("close", () => {
      this.closed = true;
      this.tail.close();
    });
    ws.on("error", () => ws.terminate());
  }

  async run(): Promise<void> {
    let live = false;
    try {
      for (;;) {
        const batch = await this.tail.pull();
        if (!batch || this.closed) return;
        for (const record of batch.records) {
          for (const event of await this.runtime.events.eventsOf(record)) this.send(event);
          if (this.closed) return;
          this.sentThrough = record.seq;
        }
        this.sentThrough = batch.through;
        if (batch.caughtUp && !live) {
          live = true;
          this.send({ object: "feed_caught_up", sequence: batch.through });
        }
        if (this.ws.bufferedAmount > this.settings.bufferedBytesMax) return void this.cutOff();
        if (this.ws.bufferedAmount > this.settings.sendHighWaterBytes) {
          this.draining = true;
          await Promise.race([this.lastSend, this.ended]);
          this.draining = false;
        }
      }
    } catch (error) {
      console.error("feed session failed", error);
      this.end(1011, `internal error; resume with after=${this.sentThrough}`);
    }
  }

  /** Not yet closed or cut off (a cut-off client may still be reading what was sent). */
  get streaming(): boolean {
    return !this.closed;
  }

  heartbeat(): void {
    if (!this.alive) return void this.ws.terminate();
    this.alive = false;
    this.ws.ping();
  }

  /** Server shutdown: tells the client where to resume, then waits briefly for the close handshake. */
  async shutdown(): Promise<void> {
    this.end(1001, `server restarting; resume with after=${this.sentThrough}`);
    const timer = setTimeout(() => this.ws.terminate(), closeGraceMs);
    await this.ended;
    clearTimeout(timer);
  }

  /** Its key was rolled and has expired: closed, saying where to resume with the new key. */
  keyExpired(): void {
    this.end(
      keyExpiredCloseCode,
      `the API key has expired (rolled); reconnect with its replacement and after=${this.sentThrough}`,
    );
  }

  private cutOff(): true {
    this.end(slowConsumerCloseCode, `slow consumer; resume with after=${this.sentThrough}`);
    return true;
  }

  private end(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.tail.close();
    this.ws.close(code, reason);
  }

  private send(message: unknown): void {
    if (this.closed) return;
    this.lastSend = new Promise((resolve) => this.ws.send(JSON.stringify(message), () => resolve()));
  }
}
