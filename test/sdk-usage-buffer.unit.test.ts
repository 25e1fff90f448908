import { UsageBuffer, UsageBufferError, type UsageEventParams, type UsageIngestResult } from "@buffmoney/sdk";
import { describe, expect, it } from "vitest";

function event(n: number): UsageEventParams {
  return {
    customerExternalId: `user_${n % 7}`,
    idempotencyKey: `evt_${n}`,
    metric: "tokens_output",
    quantity: String(n),
    occurredAt: "2026-11-28T08:00:00Z",
  };
}

/** Answers each event with its key and quantity as the amount, so a result shows whose it is. */
const answer = (events: readonly UsageEventParams[]): UsageIngestResult => ({
  object: "list",
  results: events.map((e) => ({
    idempotencyKey: e.idempotencyKey,
    status: "accepted",
    amount: e.quantity,
    currency: "CNY",
  })),
});

/** A fake `ingest` whose calls stay open until the test answers or fails them. */
function heldCalls() {
  const calls: Array<{
    events: UsageEventParams[];
    answer: () => void;
    fail: (error: unknown) => void;
  }> = [];
  const send = (events: UsageEventParams[]) =>
    new Promise<UsageIngestResult>((resolve, reject) => {
      calls.push({ events, answer: () => resolve(answer(events)), fail: reject });
    });
  return { calls, send };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("usageEvents.buffer", () => {
  it("sends full batches at once, in order, and resolves each record with its own event's result", async () => {
    const sent: number[] = [];
    const buffer = new UsageBuffer(
      async (events) => {
        sent.push(events.length);
        return answer(events);
      },
      { flushIntervalMs: 60_000 },
    );
    const records = Array.from({ length: 1234 }, (_, n) => buffer.record(event(n)));
    await tick();
    // Two full batches left at once; the partial one waits for its interval (long here) or a flush.
    expect(sent).toEqual([500, 500]);
    expect(buffer.size).toBe(234);
    await buffer.flush();
    expect(sent).toEqual([500, 500, 234]);
    const results = await Promise.all(records);
    expect(results.map((r) => r.idempotencyKey)).toEqual(Array.from({ length: 1234 }, (_, n) => `evt_${n}`));
    expect(results[777]?.amount).toBe("777");
    expect(buffer.size).toBe(0);
  });

  it("keeps each call's JSON under maxBatchBytes, so events with large dimensions stay under the body limit", async () => {
    const sent: Array<{ count: number; bytes: number }> = [];
    const buffer = new UsageBuffer(
      async (events) => {
        sent.push({ count: events.length, bytes: Buffer.byteLength(JSON.stringify({ events })) });
        return answer(events);
      },
      { flushIntervalMs: 60_000 },
    );
    // Ten dimensions of 100 Chinese characters: about 3 KB of JSON each, 500 of them 1.5 MB.
    const big = (n: number): UsageEventParams => ({
      ...event(n),
      dimensions: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, "模".repeat(100)])),
    });
    const records = Array.from({ length: 500 }, (_, n) => buffer.record(big(n)));
    await tick();
    // Full by bytes, calls left at once, long before the interval.
    expect(sent.length).toBeGreaterThanOrEqual(1);
    await buffer.flush();
    expect(sent.reduce((sum, call) => sum + call.count, 0)).toBe(500);
    expect(sent.length).toBeGreaterThan(1);
    for (const call of sent) expect(call.bytes).toBeLessThanOrEqual(900_000 + 100);
    expect(sent[0]!.bytes).toBeGreaterThan(800_000);
    expect((await Promise.all(records)).map((r) => r.idempotencyKey)).toEqual(
      Array.from({ length: 500 }, (_, n) => `evt_${n}`),
    );
  });

  it("sends a partial batch once its first event has waited flushIntervalMs", async () => {
    const { calls, send } = heldCalls();
    const buffer = new UsageBuffer(send, { flushIntervalMs: 30 });
    const started = performance.now();
    const first = buffer.record(event(1));
    void buffer.record(event(2));
    await tick();
    expect(calls).toHaveLength(0);
    while (calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(calls[0]?.events.map((e) => e.idempotencyKey)).toEqual(["evt_1", "evt_2"]);
    calls[0]?.answer();
    expect((await first).status).toBe("accepted");
  });

  it("keeps at most maxConcurrentBatches calls in flight; a freed call takes the next batch", async () => {
    const { calls, send } = heldCalls();
    const buffer = new UsageBuffer(send, {
      maxBatchSize: 10,
      maxConcurrentBatches: 2,
      flushIntervalMs: 60_000,
    });
    for (let n = 0; n < 45; n++) void buffer.record(event(n));
    await tick();
    expect(calls).toHaveLength(2);
    calls[0]?.answer();
    await tick();
    expect(calls).toHaveLength(3);
    expect(calls[2]?.events[0]?.idempotencyKey).toBe("evt_20");
    const flushed = buffer.flush();
    for (let i = 1; i < 5; i++) {
      while (calls.length <= i) await tick();
      calls[i]?.answer();
    }
    await flushed;
    expect(calls.map((c) => c.events.length)).toEqual([10, 10, 10, 10, 5]);
  });

  it("a call that fails rejects its own records only", async () => {
    const { calls, send } = heldCalls();
    const buffer = new UsageBuffer(send, { maxBatchSize: 2, flushIntervalMs: 60_000 });
    const records = [0, 1, 2, 3].map((n) =>
      buffer.record(event(n)).then(
        (r) => r.status,
        (e: unknown) => (e as Error).message,
      ),
    );
    await tick();
    calls[0]?.fail(new Error("connection reset"));
    calls[1]?.answer();
    expect(await Promise.all(records)).toEqual([
      "connection reset",
      "connection reset",
      "accepted",
      "accepted",
    ]);
  });

  it("tells onError of a failed call, and a record nobody awaits is no unhandled rejection", async () => {
    const failures: Array<{ message: string; keys: string[] }> = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const buffer = new UsageBuffer(() => Promise.reject(new Error("connection refused")), {
        maxBatchSize: 2,
        onError: (error, events) =>
          failures.push({ message: (error as Error).message, keys: events.map((e) => e.idempotencyKey) }),
      });
      buffer.record(event(1));
      buffer.record(event(2));
      await buffer.flush();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(failures).toEqual([{ message: "connection refused", keys: ["evt_1", "evt_2"] }]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("refuses records past maxBufferedEvents and after close, without dropping what it holds", async () => {
    const { calls, send } = heldCalls();
    const buffer = new UsageBuffer(send, { maxBatchSize: 5, maxBufferedEvents: 5, flushIntervalMs: 60_000 });
    const held = [0, 1, 2, 3, 4].map((n) => buffer.record(event(n)));
    await expect(buffer.record(event(5))).rejects.toBeInstanceOf(UsageBufferError);
    const closing = buffer.close();
    await expect(buffer.record(event(6))).rejects.toThrow("closed");
    while (calls.length === 0) await tick();
    calls[0]?.answer();
    await closing;
    expect((await Promise.all(held)).map((r) => r.idempotencyKey)).toEqual([
      "evt_0",
      "evt_1",
      "evt_2",
      "evt_3",
      "evt_4",
    ]);
  });

  it("refuses options out of range", () => {
    expect(() => new UsageBuffer(async () => answer([]), { maxBatchBytes: 2_000_000 })).toThrow(
      /maxBatchBytes/,
    );
    const send = async (events: UsageEventParams[]) => answer(events);
    expect(() => new UsageBuffer(send, { maxBatchSize: 501 })).toThrow(TypeError);
    expect(() => new UsageBuffer(send, { maxConcurrentBatches: 0 })).toThrow(TypeError);
    expect(() => new UsageBuffer(send, { flushIntervalMs: 1.5 })).toThrow(TypeError);
    expect(() => new UsageBuffer(send, { maxBatchSize: 100, maxBufferedEvents: 50 })).toThrow(TypeError);
  });
});
