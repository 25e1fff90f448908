import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import BuffMoneyClient from "@buffmoney/sdk";
import { Runtime } from "../actors/index.js";
import { startServer } from "../api/index.js";
import { tempDir } from "./lib/tmp.js";
import { ingestBatch } from "./lib/ingestWorkload.js";
import { seedIngestMerchant } from "./lib/seedIngestMerchant.js";

/**
 * Where ingest time goes, without the setup: an in-process server seeded with prepaid customers,
 * then the CPU profiler runs only while usage batches are ingested (through HTTP, or straight into
 * UsageService with INGEST_PROFILE_DIRECT=1). Prints the top self-time functions and writes the
 * .cpuprofile (open it in Chrome DevTools).
 *
 *   node --import tsx bench/ingestProfile.ts [out.cpuprofile]
 * Sizes: INGEST_PROFILE_CUSTOMERS (10,000), INGEST_PROFILE_BATCHES (200), INGEST_PROFILE_CONCURRENCY (8).
 */
const customers = Number(process.env.INGEST_PROFILE_CUSTOMERS ?? 10_000);
const batches = Number(process.env.INGEST_PROFILE_BATCHES ?? 200);
const concurrency = Number(process.env.INGEST_PROFILE_CONCURRENCY ?? 8);
const direct = process.env.INGEST_PROFILE_DIRECT === "1";
const out = process.argv[2] ?? "ingest.cpuprofile";
const adminToken = "ingest-profile-admin-token-0123456789";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

function topSelf(profile: { nodes: ProfileNode[]; samples?: number[] }, count: number): string[] {
  const total = profile.samples?.length ?? profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes("node_modules") ? "nm/" : ""));
    const key = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (node.hitCount ?? 0));
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}

async function main(): Promise<void> {
  const dir = await tempDir("ingest-profile");
  const residentWalletsMax = process.env.INGEST_PROFILE_RESIDENT
    ? Number(process.env.INGEST_PROFILE_RESIDENT)
    : undefined;
  const runtime = await Runtime.open({
    dataDir: dir.path,
    adminToken,
    startTimers: false,
    ...(residentWalletsMax ? { residentWalletsMax } : {}),
  });
  const codes = new Map<string, number>();
  const seedStarted = performance.now();
  const { merchant, apiKeys } = await seedIngestMerchant(runtime, "Ingest profile", customers);
  console.log(`seeded ${customers} customers in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
  const server = direct ? null : await startServer(runtime, { port: 0, host: "127.0.0.1" });
  try {
    const client = server
      ? new BuffMoneyClient({ apiKey: apiKeys.test, baseUrl: server.url, maxRetries: 0 })
      : null;
    const ingestOne = async (events: ReturnType<typeof ingestBatch>): Promise<number> => {
      if (!client) {
        const results = await runtime.usage.ingest("test", merchant.id, events);
        for (const r of results) if (r.status === "rejected") codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        return results.filter((r) => r.status === "accepted").length;
      }
      const answer = await client.usageEvents.ingest(events);
      return answer.results.filter((r) => r.status === "accepted").length;
    };
    // Warm up (JIT, residents) outside the profile.
    const warm = Array.from({ length: 20 }, () => ingestBatch("run", customers));
    for (const events of warm) await ingestOne(events);

    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    let done = 0;
    let accepted = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (done < batches) {
          done += 1;
          const n = await ingestOne(ingestBatch("run", customers));
          accepted += n;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    await writeFile(out, JSON.stringify(profile));
    console.log(
      `${direct ? "direct" : "http"}: ${accepted} accepted in ${seconds.toFixed(2)} s = ${Math.round(accepted / seconds)} events/s; ` +
        `process CPU ${(((cpu.user + cpu.system) / Math.max(1, accepted)) | 0).toString()} µs/event (incl. client)`,
    );
    const last = await runtime.log.get(`l!${String(runtime.log.head.seq).padStart(16, "0")}`);
    console.log(`last record: ${last?.length ?? 0} bytes`);
    if (process.env.INGEST_PROFILE_DUMP) await writeFile(process.env.INGEST_PROFILE_DUMP, last ?? "");
    if (codes.size > 0) console.log("rejected:", Object.fromEntries(codes));
    for (const line of topSelf(profile as never, 40)) console.log(line);
  } finally {
    await server?.close();
    await runtime.close();
    await dir.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
