import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import autocannon, { type Result } from "autocannon";
import { formatMicros, parseDecimalToMicros } from "../domain/money.js";
import { log, runIfChild, type BenchRow } from "./lib/harness.js";
import {
  call,
  commitsSlowerThan,
  describeStalls,
  expectStatus,
  pool,
  serverPauses,
  settled,
} from "./lib/http.js";
import { openLoop } from "./lib/openLoop.js";
import {
  freePort,
  processCpuSeconds,
  repoRoot,
  startServerProcess,
  type ServerProcess,
} from "./lib/server.js";
import { round } from "./lib/stats.js";
import { tempDir } from "./lib/tmp.js";

/**
 * 2. Durable single-debit requests through HTTP: the real server (`node --import tsx bin/server.ts`)
 *    in a child process, autocannon in this process, debits of 0.01 spread over many customers;
 *    afterwards the ledger must show exactly 0.01 less per 2xx response. Two loads: 5,000 debits/s
 *    offered (open loop: p99 at the target rate), then 64 connections kept busy (saturation), then
 *    32. The first two also run first against a bare baseline (Koa + zod + a synced group commit,
 *    no billing logic).
 */
const name = "httpDebit";
const customers = Number(process.env.BENCH_HTTP_CUSTOMERS ?? 1000);
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 64);
/**
 * A second saturated window with fewer connections. Past the point where the server is busy all the
 * time, each extra connection only waits in line (Little's law), so the p99 is also reported where
 * the server answers as many debits per second with a shorter queue.
 */
const fewerConnections = Number(process.env.BENCH_HTTP_FEWER_CONNECTIONS ?? 32);
const measureSeconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const idempotentSeconds = Number(process.env.BENCH_HTTP_IDEMPOTENT_SECONDS ?? 3);
/** The target load: latency is also measured with requests sent at this rate, not as fast as possible. */
const targetRate = Number(process.env.BENCH_HTTP_PACED_RATE ?? 5000);
const pacedSeconds = Number(process.env.BENCH_HTTP_PACED_SECONDS ?? 6);
const debitMicros = 10_000n; // "0.01"
const grantAmount = "1000000.00";

const externalIds = Array.from({ length: customers }, (_, i) => `bench_user_${i}`);

/** Sum of all wallet balances in micro-units, read through GET /v1/customers/{id}/wallet. */
async function totalBalance(server: ServerProcess, key: string): Promise<bigint> {
  let total = 0n;
  await pool(externalIds, 32, async (id) => {
    const wallet = await expectStatus(
      call(server, "GET", `/v1/customers/${id}/wallet`, key),
      200,
      "GET wallet",
    );
    const parsed = parseDecimalToMicros(String(wallet.balance));
    if (!parsed.ok) throw new Error(`balance ${String(wallet.balance)}: ${parsed.reason}`);
    total += parsed.micros;
  });
  return total;
}

function runCannon(
  server: { url: string },
  key: string,
  options: {
    amount?: number;
    duration?: number;
    idempotent?: boolean;
    safetyMs: number;
    connections?: number;
  },
): Promise<Result> {
  let turn = 0;
  const runId = randomBytes(4).toString("hex");
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: server.url,
        connections: options.connections ?? connections,
        pipelining: 1,
        timeout: 10,
        ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 1 }),
        requests: [
          {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: JSON.stringify({ amount: formatMicros(debitMicros) }),
            setupRequest: (request) => {
              turn += 1;
              const path = `/v1/customers/${externalIds[turn % customers]}/wallet/debits`;
              if (!options.idempotent) return { ...request, path };
              return {
                ...request,
                path,
                headers: { ...request.headers, "idempotency-key": `bench-${runId}-${turn}` },
              };
            },
          },
        ],
      },
      (error, result) => {
        clearTimeout(safety);
        if (error) reject(error);
        else resolve(result);
      },
    );
    // A time bound on top of the count bound: stop (and report it) if the run takes far too long.
    const safety = setTimeout(() => {
      log(name, `safety stop after ${options.safetyMs} ms`);
      instance.stop();
    }, options.safetyMs);
  });
}

/** What a run reports, from autocannon (closed loop) or openLoop (paced). */
type LoadResult = Pick<Result, "2xx" | "non2xx" | "errors" | "timeouts" | "duration" | "statusCodeStats"> & {
  latency: Pick<Result["latency"], "p50" | "p90" | "p99" | "max" | "mean">;
};

/** Debits sent at `rate` per second (open loop, latency from when each was due). */
async function pacedRun(
  server: { url: string },
  key: string,
  rate: number,
  count: number,
): Promise<LoadResult> {
  const { hostname, port } = new URL(server.url);
  const body = JSON.stringify({ amount: formatMicros(debitMicros) });
  const cpu0 = process.cpuUsage();
  const result = await openLoop({
    host: hostname,
    port: Number(port),
    rate,
    count,
    connections,
    timeoutMs: (count / rate) * 4000 + 10_000,
    request: (i) =>
      Buffer.from(
        `POST /v1/customers/${externalIds[i % customers]}/wallet/debits HTTP/1.1\r\n` +
          `Host: ${hostname}:${port}\r\nAuthorization: Bearer ${key}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      ),
  });
  const cpu = process.cpuUsage(cpu0);
  log(
    name,
    `open-loop client CPU ${((cpu.user + cpu.system) / Math.max(1, result.answered)).toFixed(1)} µs/request`,
  );
  const ok = Object.entries(result.statusCounts)
    .filter(([status]) => status.startsWith("2"))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    "2xx": ok,
    non2xx: result.answered - ok,
    // Socket errors, and requests never sent or answered before the time bound.
    errors: count - result.answered,
    timeouts: 0,
    duration: result.durationSeconds,
    statusCodeStats: Object.fromEntries(
      Object.entries(result.statusCounts).map(([status, n]) => [status, { count: n }]),
    ),
    latency: result.latencyMs,
  };
}

interface CheckedRun {
  result: LoadResult;
  ok2xx: number;
  balanceDropMicros: bigint;
  seqDelta: number;
  ledgerOk: boolean;
  serverCpuSeconds: number | null;
}

/** One load run bracketed by balance and ledger-head readings. */
async function checkedRun(
  server: ServerProcess,
  key: string,
  run: () => Promise<LoadResult>,
): Promise<CheckedRun> {
  const seqBefore = await settled(server);
  const before = await totalBalance(server, key);
  const cpuBefore = await processCpuSeconds(server.pid);
  const result = await run();
  const cpuAfter = await processCpuSeconds(server.pid);
  const seqAfter = await settled(server);
  const after = await totalBalance(server, key);
  const ok2xx = result["2xx"];
  const balanceDropMicros = before - after;
  const seqDelta = seqAfter - seqBefore;
  return {
    result,
    ok2xx,
    balanceDropMicros,
    seqDelta,
    ledgerOk: balanceDropMicros === BigInt(ok2xx) * debitMicros && seqDelta === ok2xx,
    serverCpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  };
}

/** Sizes a saturated run from a warm-up: about `measureSeconds` at the best warm second's pace. */
function runSize(warm: Result): number {
  const warmRate = warm["2xx"] / Math.max(0.5, warm.duration);
  // The best warm second (the first one pays for JIT and connection set-up) sizes the run.
  const sizingRate = Math.max(warmRate, warm.requests.max);
  return Math.max(connections * 100, Math.min(150_000, Math.round(sizingRate * measureSeconds)));
}

/**
 * The same loads against bare Koa + zod + a synced group commit (bench/lib/bareDebitServer.ts):
 * the floor this machine sets for a durable single-write endpoint, measured in the same run.
 */
async function baseline(): Promise<{ saturated: Result; paced: LoadResult | null }> {
  const dir = await tempDir("bare-debit");
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/lib/bareDebitServer.ts", String(port), dir.path],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] },
  );
  const server = { url: `http://127.0.0.1:${port}` };
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("listening")) resolve();
      });
      child.once("exit", () => reject(new Error("baseline server exited")));
    });
    const warm = await runCannon(server, "-", { duration: 3, safetyMs: 10_000 });
    const paced =
      pacedSeconds > 0 ? await pacedRun(server, "-", targetRate, targetRate * pacedSeconds) : null;
    const saturated = await runCannon(server, "-", {
      amount: runSize(warm),
      safetyMs: measureSeconds * 4000,
    });
    return { saturated, paced };
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    await dir.remove();
  }
}

export async function httpDebit(): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const base = await baseline();
  const baseRate = base.saturated["2xx"] / base.saturated.duration;
  log(
    name,
    `baseline (bare Koa + zod + synced group commit): ${baseRate.toFixed(0)} req/s, p99 ${base.saturated.latency.p99} ms` +
      (base.paced ? `; at ${targetRate} req/s offered p99 ${base.paced.latency.p99} ms` : ""),
  );
  const dir = await tempDir("http");
  const adminToken = `bm_admin_${randomBytes(24).toString("base64url")}`;
  const server = await startServerProcess({ dataDir: dir.path, adminToken });
  log(name, `server pid ${server.pid} at ${server.url}`);
  try {
    // Seed: one merchant, N customers, a big grant each.
    const seedStarted = performance.now();
    const merchant = await expectStatus(
      call(server, "POST", "/v1/admin/merchants", adminToken, { name: "Bench merchant" }),
      201,
      "create merchant",
    );
    const key = (merchant.apiKeys as { test: string }).test;
    await pool(externalIds, 50, async (externalId) => {
      await expectStatus(call(server, "POST", "/v1/customers", key, { externalId }), 201, "create customer");
    });
    await pool(externalIds, 50, async (externalId) => {
      await expectStatus(
        call(server, "POST", `/v1/customers/${externalId}/wallet/grants`, key, {
          amount: grantAmount,
          reason: "bench",
        }),
        201,
        "grant",
      );
    });
    const seedMs = performance.now() - seedStarted;
    log(name, `seeded ${customers} customers with ${grantAmount} each in ${seedMs.toFixed(0)} ms`);

    // Sanity: a debit answers 201 with a fresh transaction and a lower balance; a repeated
    // Idempotency-Key is replayed, not charged twice.
    const probeKey = `bench-probe-${randomBytes(4).toString("hex")}`;
    const first = await call(
      server,
      "POST",
      `/v1/customers/${externalIds[0]}/wallet/debits`,
      key,
      { amount: "0.01" },
      {
        "idempotency-key": probeKey,
      },
    );
    const seqAfterFirst = await settled(server);
    const second = await call(
      server,
      "POST",
      `/v1/customers/${externalIds[0]}/wallet/debits`,
      key,
      { amount: "0.01" },
      {
        "idempotency-key": probeKey,
      },
    );
    const seqAfterSecond = await settled(server);
    const firstTx = (first.body.transaction as { id?: string } | undefined)?.id;
    const secondTx = (second.body.transaction as { id?: string } | undefined)?.id;
    const idempotencyProbe = {
      firstStatus: first.status,
      secondStatus: second.status,
      replayedHeader: second.headers.get("idempotent-replayed"),
      sameTransaction: firstTx !== undefined && firstTx === secondTx,
      ledgerUnchangedByReplay: seqAfterSecond === seqAfterFirst,
    };
    if (
      first.status !== 201 ||
      !idempotencyProbe.sameTransaction ||
      !idempotencyProbe.ledgerUnchangedByReplay
    ) {
      throw new Error(`idempotency probe failed: ${JSON.stringify(idempotencyProbe)}`);
    }

    // Warm-up (JIT, connections), also sizes the measured run: a fixed count of requests (so that
    // every request sent is answered and counted) expected to take about `measureSeconds`.
    const warm = await runCannon(server, key, { duration: 3, safetyMs: 10_000 });
    const warmRate = warm["2xx"] / Math.max(0.5, warm.duration);
    const amount = runSize(warm);
    log(
      name,
      `warm-up ${warmRate.toFixed(0)} req/s; measured run: ${amount} debits, ${connections} connections`,
    );

    // The target load first, right after the warm-up (not in the compaction that follows the
    // saturated run): requests sent at 5,000/s whatever the answers' pace, so latency is what a
    // client sees at that load, not the queueing of 64 connections kept full at saturation.
    let paced: CheckedRun | null = null;
    // Where the tail comes from: how many of the run's synced batch writes (fsyncs) were slow.
    let pacedCommits: Record<"over10ms" | "over25ms", { batches: number; slower: number }> | null = null;
    // And event-loop stalls and GC pauses over the paced run (with its ledger check).
    let pacedStalls = "";
    if (pacedSeconds > 0) {
      const before = await serverPauses(server);
      paced = await checkedRun(server, key, () =>
        pacedRun(server, key, targetRate, targetRate * pacedSeconds),
      );
      const after = await serverPauses(server);
      pacedCommits = {
        over10ms: commitsSlowerThan(before.commits, after.commits, "0.01"),
        over25ms: commitsSlowerThan(before.commits, after.commits, "0.025"),
      };
      pacedStalls = describeStalls(before, after);
      log(
        name,
        `at ${targetRate} req/s offered: ${(paced.ok2xx / paced.result.duration).toFixed(0)} req/s answered, p50 ${paced.result.latency.p50} ms, p99 ${paced.result.latency.p99} ms, ledger ${paced.ledgerOk ? "ok" : "MISMATCH"}`,
      );
    }

    const main = await checkedRun(server, key, () =>
      runCannon(server, key, { amount, safetyMs: measureSeconds * 4000 }),
    );
    const r = main.result;
    const reqPerSec = main.ok2xx / r.duration;
    log(
      name,
      `${reqPerSec.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`,
    );
    const ledgerLine = `ledger check: ${main.ledgerOk ? "ok" : "MISMATCH"} (balances down ${formatMicros(main.balanceDropMicros)} = ${main.ok2xx} × 0.01 → ${formatMicros(BigInt(main.ok2xx) * debitMicros)}; ledger head +${main.seqDelta})`;
    console.log(`  [${name}] ${ledgerLine}`);

    // The same load with fewer connections: the queue each request waits in is shorter.
    const fewer = await checkedRun(server, key, () =>
      runCannon(server, key, { amount, safetyMs: measureSeconds * 4000, connections: fewerConnections }),
    );
    const fewerRate = fewer.ok2xx / fewer.result.duration;
    log(
      name,
      `${fewerConnections} connections: ${fewerRate.toFixed(0)} req/s, p99 ${fewer.result.latency.p99} ms, ledger ${fewer.ledgerOk ? "ok" : "MISMATCH"}`,
    );

    // The same with an Idempotency-Key on every request (a stored response per debit).
    let idem: CheckedRun | null = null;
    if (idempotentSeconds > 0) {
      const idemAmount = Math.max(connections * 10, Math.round(reqPerSec * idempotentSeconds * 0.8));
      idem = await checkedRun(server, key, () =>
        runCannon(server, key, { amount: idemAmount, idempotent: true, safetyMs: idempotentSeconds * 5000 }),
      );
      log(
        name,
        `with Idempotency-Key: ${(idem.ok2xx / idem.result.duration).toFixed(0)} req/s, p99 ${idem.result.latency.p99} ms, ledger ${idem.ledgerOk ? "ok" : "MISMATCH"}`,
      );
    }

    const cpuPerRequestUs =
      main.serverCpuSeconds === null
        ? null
        : (main.serverCpuSeconds * 1e6) / Math.max(1, r["2xx"] + r.non2xx);
    const rows: BenchRow[] = [
      {
        name: "HTTP durable debit throughput",
        unit: "req/s",
        measured: round(reqPerSec),
        baseline: round(baseRate),
        ratio: round(reqPerSec / baseRate, 2),
        target: "≥ 5,000 req/s",
        pass: reqPerSec >= 5000,
        notes: `${connections} connections, ${main.ok2xx} debits over ${customers} customers in ${r.duration.toFixed(1)} s; server CPU ${cpuPerRequestUs === null ? "?" : cpuPerRequestUs.toFixed(0)} µs/request`,
      },
      {
        name: "HTTP durable debit p99 latency",
        unit: "ms",
        measured: r.latency.p99,
        baseline: base.saturated.latency.p99,
        target: "≤ 20 ms",
        pass: r.latency.p99 <= 20,
        notes: `at saturation (${connections} connections kept busy); p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms, max ${r.latency.max} ms; baseline p50 ${base.saturated.latency.p50} ms`,
      },
      {
        name: "HTTP debit non-2xx + errors",
        unit: "responses",
        measured: r.non2xx + r.errors,
        target: "= 0",
        pass: r.non2xx + r.errors === 0,
        notes: `status codes ${JSON.stringify(r.statusCodeStats)}, timeouts ${r.timeouts}`,
      },
      {
        name: "HTTP debit ledger check",
        unit: "",
        measured: main.ledgerOk ? 1 : 0,
        display: main.ledgerOk ? "ok" : "MISMATCH",
        target: "ok",
        pass: main.ledgerOk,
        notes: ledgerLine,
      },
    ];
    {
      const share = fewerRate / reqPerSec;
      const latency = fewer.result.latency;
      rows.push({
        name: `  the same, ${fewerConnections} connections: p99 latency`,
        unit: "ms",
        measured: latency.p99,
        target: `≤ 20 ms at ≥ 0.95× the throughput of ${connections} connections`,
        pass:
          latency.p99 <= 20 &&
          share >= 0.95 &&
          fewer.ledgerOk &&
          fewer.result.non2xx + fewer.result.errors === 0,
        notes: `${fewerRate.toFixed(0)} req/s = ${share.toFixed(2)}× the ${connections}-connection rate; p50 ${latency.p50} ms, p90 ${latency.p90} ms, max ${latency.max} ms; non-2xx ${fewer.result.non2xx}, errors ${fewer.result.errors}; ledger ${fewer.ledgerOk ? "ok" : "MISMATCH"}`,
      });
    }
    if (paced) {
      const answered = paced.ok2xx / paced.result.duration;
      const kept = answered >= targetRate * 0.98;
      const latency = paced.result.latency;
      rows.push({
        name: `HTTP durable debit p99 at ${targetRate.toLocaleString("en-US")} req/s offered`,
        unit: "ms",
        measured: latency.p99,
        ...(base.paced ? { baseline: base.paced.latency.p99 } : {}),
        target: "≤ 20 ms",
        pass: kept && latency.p99 <= 20 && paced.ledgerOk && paced.result.non2xx === 0,
        notes:
          `${answered.toFixed(0)} req/s answered${kept ? "" : " (fell behind the offered rate)"}; p50 ${latency.p50} ms, p90 ${latency.p90} ms, max ${latency.max} ms; open loop, latency from when each request was due; ledger ${paced.ledgerOk ? "ok" : "MISMATCH"}` +
          (pacedCommits
            ? `; synced batch writes: ${pacedCommits.over10ms.batches}, of which ${pacedCommits.over10ms.slower} took over 10 ms and ${pacedCommits.over25ms.slower} over 25 ms; ${pacedStalls}`
            : "") +
          (base.paced ? `; baseline p50 ${base.paced.latency.p50} ms, p99 ${base.paced.latency.p99} ms` : ""),
      });
    }
    if (idem) {
      const rate = idem.ok2xx / idem.result.duration;
      rows.push({
        name: "HTTP debit with Idempotency-Key",
        unit: "req/s",
        measured: round(rate),
        baseline: round(reqPerSec),
        ratio: round(rate / reqPerSec, 2),
        target: "",
        pass: idem.ledgerOk && idem.result.non2xx === 0 ? null : false,
        notes: `p99 ${idem.result.latency.p99} ms; non-2xx ${idem.result.non2xx}; ledger ${idem.ledgerOk ? "ok" : "MISMATCH"}`,
      });
    }
    return {
      rows,
      details: {
        customers,
        connections,
        seedMs,
        idempotencyProbe,
        warmup: { reqPerSec: warmRate, p99: warm.latency.p99, non2xx: warm.non2xx },
        baseline: {
          reqPerSec: baseRate,
          latencyMs: base.saturated.latency,
          paced: base.paced ? { offeredRate: targetRate, latencyMs: base.paced.latency } : null,
        },
        main: summarize(main),
        fewerConnections: { connections: fewerConnections, ...summarize(fewer) },
        paced: paced ? { offeredRate: targetRate, commits: pacedCommits, ...summarize(paced) } : null,
        idempotent: idem ? summarize(idem) : null,
      },
    };
  } finally {
    const code = await server.stop();
    if (code !== "0") log(name, `server exited with ${code}: ${server.output().slice(-2000)}`);
    await dir.remove();
  }
}

function summarize(run: CheckedRun) {
  const r = run.result;
  return {
    reqPerSec: run.ok2xx / r.duration,
    durationSeconds: r.duration,
    ok2xx: run.ok2xx,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodeStats: r.statusCodeStats,
    latencyMs: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
      mean: r.latency.mean,
    },
    balanceDrop: formatMicros(run.balanceDropMicros),
    ledgerSeqDelta: run.seqDelta,
    ledgerOk: run.ledgerOk,
    serverCpuSeconds: run.serverCpuSeconds,
  };
}

runIfChild(name, httpDebit);
