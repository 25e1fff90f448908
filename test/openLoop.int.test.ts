import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openLoop } from "../bench/lib/openLoop.js";

/** A server answering every request after `delayMs`, one at a time per connection (keep-alive). */
async function slowServer(delayMs: number, status = 201): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      setTimeout(() => {
        const body = JSON.stringify({ ok: true });
        response.writeHead(status, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        });
        response.end(body);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const request = (port: number) => (i: number) =>
  Buffer.from(
    `POST /things/${i} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
      `Content-Length: 2\r\n\r\n{}`,
  );

let running: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (running ? running.close(() => resolve()) : resolve()));
  running = undefined;
});

describe("open-loop load (the debit benchmark's paced run)", () => {
  it("sends at the given rate and answers every request, counting statuses", async () => {
    const { server, port } = await slowServer(5, 402);
    running = server;
    const started = performance.now();
    const result = await openLoop({
      host: "127.0.0.1",
      port,
      rate: 200,
      count: 100,
      connections: 8,
      request: request(port),
      timeoutMs: 10_000,
    });
    const seconds = (performance.now() - started) / 1000;
    expect(result.answered).toBe(100);
    expect(result.statusCounts).toEqual({ 402: 100 });
    expect(result.errors).toBe(0);
    // 100 requests at 200/s take half a second however fast the server answers.
    expect(seconds).toBeGreaterThanOrEqual(0.49);
    expect(result.latencyMs.p50).toBeGreaterThanOrEqual(5);
    expect(result.latencyMs.p50).toBeLessThan(100);
  });

  it("counts the time a due request waits for a free connection (no coordinated omission)", async () => {
    // One connection, 20 ms per answer, 100 due per second: every request waits behind the
    // ones before it, so latency grows with each — a closed loop would report ~20 ms throughout.
    const { server, port } = await slowServer(20);
    running = server;
    const result = await openLoop({
      host: "127.0.0.1",
      port,
      rate: 100,
      count: 40,
      connections: 1,
      request: request(port),
      timeoutMs: 10_000,
    });
    expect(result.answered).toBe(40);
    // The 40th was due at 390 ms but answered only after 40 × ≥20 ms = 800 ms: ≥ 400 ms late.
    expect(result.latencyMs.max).toBeGreaterThanOrEqual(400);
    expect(result.latencyMs.p50).toBeGreaterThan(100);
  });
});
