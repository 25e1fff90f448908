/** What the feed reads from a socket event (message data, close code and reason). */
export interface FeedSocketEvent {
  type?: string;
  data?: unknown;
  code?: number;
  reason?: string;
}

/**
 * The parts of a WebSocket the feed uses. The global WebSocket (browsers, Deno, Workers, Node 22+)
 * and the `ws` package's both fit.
 */
export interface FeedSocket {
  addEventListener(
    type: "open" | "message" | "close" | "error",
    listener: (event: FeedSocketEvent) => void,
  ): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => FeedSocket;

/** Messages the client has not taken yet: past this, the socket is closed and resumed later. */
const bufferedMessagesMax = 10_000;

/** One connection: buffers text messages and wakes the reader on every change. */
export class FeedConnection {
  private readonly messages: string[] = [];
  private readonly socket: FeedSocket;
  private wake: (() => void) | null = null;
  /** Closed by us because the reader fell behind; resuming is not a failure. */
  paused = false;
  received = false;
  /** The upgrade was accepted (a refused one closes without ever opening). */
  opened = false;
  closed: { code: number; reason: string } | null = null;

  constructor(WebSocketImpl: WebSocketConstructor, url: string) {
    this.socket = new WebSocketImpl(url);
    this.socket.addEventListener("open", () => {
      this.opened = true;
    });
    this.socket.addEventListener("message", (event) => {
      this.received = true;
      this.messages.push(typeof event.data === "string" ? event.data : String(event.data));
      if (this.messages.length > bufferedMessagesMax && !this.paused) {
        this.paused = true;
        this.socket.close(1000, "client buffer full");
      }
      this.notify();
    });
    this.socket.addEventListener("close", (event) => {
      this.closed = { code: event.code ?? 1006, reason: event.reason ?? "" };
      this.notify();
    });
    // An error is always followed by a close.
    this.socket.addEventListener("error", () => {});
  }

  shift(): string | undefined {
    return this.messages.shift();
  }

  /** Resolves at the next message or close. */
  changed(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  close(code = 1000, reason = "done"): void {
    if (this.closed) return;
    try {
      this.socket.close(code, reason);
    } catch {
      // not yet open in some runtimes: the close event still follows
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
