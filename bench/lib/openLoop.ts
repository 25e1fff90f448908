import { connect, type Socket } from "node:net";
import { percentile, round } from "./stats.js";

/**
 * An open-loop load generator: request i is due at start + i / rate, whether or not earlier ones
 * were answered, and its latency counts from when it was due. A closed loop (autocannon, N busy
 * connections) measures the queueing of its own N connections at saturation instead, and its rate
 * mode sends each second's quota in a burst. Requests go over keep-alive sockets, one at a time each;
 * a request due while every socket is busy waits, and that wait is part of its latency.
 */
export interface OpenLoopOptions {
  host: string;
  port: number;
  /** Requests per second. */
  rate: number;
  count: number;
  connections: number;
  /** The raw HTTP/1.1 request i (keep-alive). */
  request: (index: number) => Buffer;
  /** Stop early (safety bound), counting what was answered. */
  timeoutMs: number;
}

export interface OpenLoopResult {
  sent: number;
  answered: number;
  /** Seconds from the first request due to the last answer. */
  durationSeconds: number;
  statusCounts: Record<string, number>;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

interface Connection {
  socket: Socket;
  busy: boolean;
  due: number;
  buffer: Buffer;
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const sockets = await Promise.all(
    Array.from({ length: options.connections }, () => open(options.host, options.port)),
  );
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  const idle: Connection[] = [];
  let next = 0;
  let answered = 0;
  let errors = 0;
  let lastAnswer = 0;
  const intervalMs = 1000 / options.rate;
  const start = performance.now() + 5;

  return new Promise<OpenLoopResult>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(ticker);
      clearTimeout(safety);
      for (const { socket } of connections) socket.destroy();
      const total = latencies.reduce((sum, value) => sum + value, 0);
      resolve({
        sent: next,
        answered,
        durationSeconds: (Math.max(lastAnswer, start) - start) / 1000,
        statusCounts,
        errors,
        latencyMs: {
          p50: round(percentile(latencies, 50), 1),
          p90: round(percentile(latencies, 90), 1),
          p99: round(percentile(latencies, 99), 1),
          max: round(percentile(latencies, 100), 1),
          mean: round(latencies.length > 0 ? total / latencies.length : 0, 1),
        },
      });
    };
    const safety = setTimeout(finish, options.timeoutMs);

    /** Sends every request now due on a free socket, oldest first. */
    const pump = () => {
      const now = performance.now();
      while (next < options.count && start + next * intervalMs <= now) {
        const connection = idle.pop();
        if (!connection) return;
        connection.busy = true;
        connection.due = start + next * intervalMs;
        connection.socket.write(options.request(next));
        next += 1;
      }
    };

    const answer = (connection: Connection, status: number) => {
      const now = performance.now();
      latencies.push(now - connection.due);
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
      answered += 1;
      lastAnswer = now;
      connection.busy = false;
      idle.push(connection);
      if (answered + errors >= options.count) finish();
      else pump();
    };

    const connections: Connection[] = sockets.map((socket) => {
      const connection: Connection = { socket, busy: false, due: 0, buffer: Buffer.alloc(0) };
      socket.on("data", (chunk: Buffer) => {
        connection.buffer =
          connection.buffer.length === 0 ? chunk : Buffer.concat([connection.buffer, chunk]);
        for (;;) {
          const parsed = parseResponse(connection.buffer);
          if (!parsed) break;
          connection.buffer = connection.buffer.subarray(parsed.length);
          answer(connection, parsed.status);
        }
      });
      socket.on("error", () => {
        if (connection.busy) errors += 1;
        connection.busy = false;
        if (answered + errors >= options.count) finish();
      });
      return connection;
    });
    idle.push(...connections);
    // Timers fire at ~1 ms granularity: due requests are sent on the next tick or the next answer,
    // and that delay counts against the server, never for it.
    const ticker = setInterval(pump, 1);
  });
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true }, () => resolve(socket));
    socket.once("error", reject);
  });
}

const headerEnd = Buffer.from("\r\n\r\n");

/** One complete response at the start of `buffer` (status and length in bytes), or null if not all here. */
function parseResponse(buffer: Buffer): { status: number; length: number } | null {
  const end = buffer.indexOf(headerEnd);
  if (end < 0) return null;
  const head = buffer.toString("latin1", 0, end);
  const status = Number(head.slice(9, 12));
  const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (!lengthMatch) throw new Error(`response without Content-Length: ${head.split("\r\n")[0] ?? ""}`);
  const length = end + headerEnd.length + Number(lengthMatch[1]);
  return buffer.length >= length ? { status, length } : null;
}
