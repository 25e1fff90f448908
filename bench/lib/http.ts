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

/** The server's synced-batch write times so far: cumulative counts per upper bound (seconds), from /metrics. */
export async function commitTimes(server: ServerProcess): Promise<Map<string, number>> {
  const response = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  const buckets = new Map<string, number>();
  for (const match of text.matchAll(
    /^buffmoney_ledger_commit_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm,
  )) {
    buckets.set(match[1] as string, Number(match[2]));
  }
  if (buckets.size === 0) throw new Error("GET /metrics: no ledger commit histogram");
  return buckets;
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
