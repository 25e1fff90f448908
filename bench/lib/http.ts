import { sleep } from "./harness.js";
import type { ServerProcess } from "./server.js";

/** One JSON API call to the benchmark's server, with a bearer token. */
export async function call(
  server: ServerProcess,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}

export async function expectStatus(
  pending: Promise<{ status: number; body: Record<string, unknown> }>,
  status: number,
  what: string,
): Promise<Record<string, unknown>> {
  const { status: got, body } = await pending;
  if (got !== status) throw new Error(`${what}: expected ${status}, got ${got} ${JSON.stringify(body)}`);
  return body;
}

/** Runs `work` over items with at most `limit` in flight. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

export async function ledgerSeq(server: ServerProcess): Promise<number> {
  const response = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(15_000) });
  return Number(((await response.json()) as { ledgerSeq: number }).ledgerSeq);
}

/** Waits until the ledger head stops moving (requests cut off by a load generator may still commit). */
export async function settled(server: ServerProcess): Promise<number> {
  let last = await ledgerSeq(server);
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const now = await ledgerSeq(server);
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** Of the batches written between two readings: how many, and how many took longer than `seconds`. */
export function commitsSlowerThan(
  before: Map<string, number>,
  after: Map<string, number>,
  seconds: string,
): { batches: number; slower: number } {
  const delta = (le: string) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const batches = delta("+Inf");
  return { batches, slower: batches - delta(seconds) };
}

/** What /metrics says of the server's pauses since the previous reading (see serverPauses). */
export interface PauseReading {
  commits: Map<string, number>;
  /** The longest event-loop delay since the previous scrape (prom-client resets it on each). */
  eventLoopLagMaxMs: number;
  /** Cumulative garbage-collection pauses by kind (minor, major, incremental, weakcb). */
  gc: Map<string, { count: number; seconds: number }>;
}

/** Reads the ledger's commit times, the event-loop delay and GC pauses from /metrics. */
export async function serverPauses(server: ServerProcess): Promise<PauseReading> {
  const response = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  const commits = new Map<string, number>();
  for (const match of text.matchAll(
    /^buffmoney_ledger_commit_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm,
  )) {
    commits.set(match[1] as string, Number(match[2]));
  }
  if (commits.size === 0) throw new Error("GET /metrics: no ledger commit histogram");
  const lag = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
  const gc = new Map<string, { count: number; seconds: number }>();
  for (const match of text.matchAll(/^nodejs_gc_duration_seconds_(count|sum)\{kind="([^"]+)"\} (\S+)$/gm)) {
    const kind = match[2] as string;
    const entry = gc.get(kind) ?? { count: 0, seconds: 0 };
    if (match[1] === "count") entry.count = Number(match[3]);
    else entry.seconds = Number(match[3]);
    gc.set(kind, entry);
  }
  return { commits, eventLoopLagMaxMs: lag ? Number(lag[1]) * 1000 : Number.NaN, gc };
}

/** One line on the pauses between two readings: slow synced writes, the longest event-loop delay, GC. */
export function describePauses(before: PauseReading, after: PauseReading): string {
  const slow = commitsSlowerThan(before.commits, after.commits, "0.1");
  const slower = commitsSlowerThan(before.commits, after.commits, "0.25");
  return (
    `synced batch writes: ${slow.batches}, of which ${slow.slower} took over 100 ms and ${slower.slower} over 250 ms; ` +
    describeStalls(before, after)
  );
}

/** The longest event-loop delay between two readings, and the GC pauses by kind. */
export function describeStalls(before: PauseReading, after: PauseReading): string {
  const gc = [...after.gc]
    .map(([kind, total]) => {
      const earlier = before.gc.get(kind) ?? { count: 0, seconds: 0 };
      return { kind, count: total.count - earlier.count, ms: (total.seconds - earlier.seconds) * 1000 };
    })
    .filter((entry) => entry.count > 0)
    .map((entry) => `${entry.kind} ${entry.count} (${entry.ms.toFixed(0)} ms)`)
    .join(", ");
  return `longest event-loop delay ${after.eventLoopLagMaxMs.toFixed(0)} ms; GC ${gc || "none"}`;
}
