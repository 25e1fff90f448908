import { randomBytes, randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { readWechatPaySandboxKeys, wechatpay } from "../channels/index.js";
import { randomAlphanumeric } from "../channels/random.js";
import { signSha256WithRsa, toPrivateKey } from "../channels/rsa.js";
import { defaultFeeRates, feeFen } from "../domain/collection.js";
import { fenToMicros, formatMicros, parseDecimalToMicros } from "../domain/money.js";
import { log, runIfChild, type BenchRow } from "./lib/harness.js";
import { call, expectStatus, pool, settled } from "./lib/http.js";
import { processCpuSeconds, startServerProcess, type ServerProcess } from "./lib/server.js";
import { percentile, round } from "./lib/stats.js";
import { tempDir } from "./lib/tmp.js";

/**
 * 5. CNY collection end to end, against the real server (`bin/server.ts`, sandbox channels mounted):
 *    - checkout creations: top-up API calls (a record, the WeChat Native order at the simulator over
 *      signed HTTP, a second record);
 *    - verified callbacks: the buyers pay at the simulator with its own callbacks held back, and this
 *      process posts each TRANSACTION.SUCCESS to the notify route as WeChat Pay would — encrypted with
 *      the sandbox APIv3 key and signed with the sandbox platform key (all signed before the clock
 *      starts). The server verifies the signature, decrypts, and credits the wallet in one record;
 *    - the same events again with fresh signatures (WeChat's duplicates), acknowledged without a record.
 *    Afterwards every wallet must hold exactly its paid orders, every invoice be paid once, and the
 *    merchant's balance (GET /v1/balance) be the orders' total net of fees.
 */
const name = "collection";
const orders = Number(process.env.BENCH_COLLECTION_ORDERS ?? 3000);
const customers = Number(process.env.BENCH_COLLECTION_CUSTOMERS ?? 200);
const connections = Number(process.env.BENCH_COLLECTION_CONNECTIONS ?? 64);
const duplicates = Math.min(orders, Number(process.env.BENCH_COLLECTION_DUPLICATES ?? 1000));
const callbacksTargetPerSecond = 1000;

interface Order {
  customer: string;
  amountFen: bigint;
  paymentId: string;
  invoiceId: string;
  /** The WeChat transaction, as the simulator recorded the payment. */
  transaction: Record<string, unknown>;
}

interface SignedCallback {
  headers: Record<string, string>;
  body: string;
}

const externalIds = Array.from({ length: customers }, (_, i) => `payer_${i}`);
/** ¥1.00 … ¥99.99, so that a credit applied twice or to the wrong wallet shows in the sums. */
const amountFenOf = (i: number) => 100n + BigInt((i * 7919) % 9_900);

/** TRANSACTION.SUCCESS exactly as WeChat Pay sends it: AES-256-GCM resource, RSA-SHA256 signed headers. */
function wechatCallback(
  keys: { apiV3Key: string; platformSerial: string },
  platformKey: ReturnType<typeof toPrivateKey>,
  transaction: Record<string, unknown>,
): SignedCallback {
  const nonce = randomAlphanumeric(12);
  const body = JSON.stringify({
    id: `EV-${randomUUID()}`,
    create_time: new Date().toISOString(),
    resource_type: "encrypt-resource",
    event_type: "TRANSACTION.SUCCESS",
    summary: "支付成功",
    resource: {
      original_type: "transaction",
      algorithm: "AEAD_AES_256_GCM",
      ciphertext: wechatpay.encryptAesGcm(JSON.stringify(transaction), keys.apiV3Key, nonce, "transaction"),
      associated_data: "transaction",
      nonce,
    },
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headerNonce = randomAlphanumeric(32);
  return {
    body,
    headers: {
      "Content-Type": "application/json",
      "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
      "Wechatpay-Serial": keys.platformSerial,
      "Wechatpay-Timestamp": timestamp,
      "Wechatpay-Nonce": headerNonce,
      "Wechatpay-Signature": signSha256WithRsa(
        platformKey,
        wechatpay.responseSignMessage(timestamp, headerNonce, body),
      ),
    },
  };
}

/** Posts every callback to the notify route, `connections` at a time over kept-alive sockets. */
async function postCallbacks(server: ServerProcess, callbacks: readonly SignedCallback[]) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(`${server.url}/v1/channels/wechatpay/notify`);
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const started = performance.now();
  await pool(callbacks, connections, async (callback) => {
    const sent = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: "POST",
          agent,
          headers: { ...callback.headers, "Content-Length": Buffer.byteLength(callback.body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(callback.body);
    });
    latencies.push(performance.now() - sent);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  });
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const acknowledged = (statuses.get(200) ?? 0) + (statuses.get(204) ?? 0);
  return {
    seconds,
    perSecond: callbacks.length / seconds,
    acknowledged,
    statuses: Object.fromEntries(statuses),
    p50: round(percentile(latencies, 50), 1),
    p99: round(percentile(latencies, 99), 1),
  };
}

function decimalMicros(value: unknown): bigint {
  const parsed = parseDecimalToMicros(String(value).replace(/^-/, ""));
  if (!parsed.ok) throw new Error(`not an amount: ${String(value)}`);
  return String(value).startsWith("-") ? -parsed.micros : parsed.micros;
}

export async function collection(): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const dir = await tempDir("collection");
  const adminToken = `bm_admin_${randomBytes(24).toString("base64url")}`;
  const server = await startServerProcess({
    dataDir: dir.path,
    adminToken,
    env: (port) => ({ BUFFMONEY_PUBLIC_URL: `http://127.0.0.1:${port}` }),
  });
  log(name, `server pid ${server.pid} at ${server.url}`);
  try {
    const merchant = await expectStatus(
      call(server, "POST", "/v1/admin/merchants", adminToken, { name: "Bench collection" }),
      201,
      "create merchant",
    );
    const key = (merchant.apiKeys as { test: string }).test;
    await pool(externalIds, 32, async (externalId) => {
      await expectStatus(call(server, "POST", "/v1/customers", key, { externalId }), 201, "create customer");
    });

    // 1. Checkout creations: top-up API calls.
    const created: Order[] = [];
    const creationLatencies: number[] = [];
    const creationCpuBefore = await processCpuSeconds(server.pid);
    const creationStarted = performance.now();
    await pool(
      Array.from({ length: orders }, (_, i) => i),
      connections,
      async (i) => {
        const customer = externalIds[i % customers] as string;
        const amountFen = amountFenOf(i);
        const sent = performance.now();
        const top = await expectStatus(
          call(server, "POST", `/v1/customers/${customer}/wallet/top-ups`, key, {
            amount: formatMicros(fenToMicros(amountFen)),
            channel: "wechat_native",
          }),
          201,
          "top-up",
        );
        creationLatencies.push(performance.now() - sent);
        created[i] = {
          customer,
          amountFen,
          paymentId: String(top.paymentId),
          invoiceId: String(top.invoiceId),
          transaction: {},
        };
      },
    );
    const creationSeconds = (performance.now() - creationStarted) / 1000;
    const creationCpuAfter = await processCpuSeconds(server.pid);
    const creationRate = orders / creationSeconds;
    log(
      name,
      `${orders} checkouts in ${creationSeconds.toFixed(1)} s: ${creationRate.toFixed(0)}/s, p99 ${percentile(creationLatencies, 99).toFixed(1)} ms`,
    );

    // 2. The buyers pay at the simulator; its callbacks are held back (this process sends them).
    await pool(created, 32, async (order) => {
      const response = await fetch(`${server.url}/sandbox/wechatpay/__sim/orders/${order.paymentId}/pay`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ callback: { hold: true } }),
      });
      const paid = (await response.json()) as { transaction?: Record<string, unknown> };
      if (!response.ok || !paid.transaction) throw new Error(`simulator pay: HTTP ${response.status}`);
      order.transaction = paid.transaction;
    });

    // 3. Every callback encrypted and signed before the clock starts (signing is the channel's work).
    const keys = await readWechatPaySandboxKeys(join(dir.path, "sandbox-keys"));
    const platformKey = toPrivateKey(keys.platformPrivateKeyPem);
    const signingStarted = performance.now();
    const callbacks = created.map((order) => wechatCallback(keys, platformKey, order.transaction));
    log(name, `${orders} callbacks signed in ${(performance.now() - signingStarted).toFixed(0)} ms`);

    // 4. Verified callbacks, each a credit.
    const seqBefore = await settled(server);
    const cpuBefore = await processCpuSeconds(server.pid);
    const run = await postCallbacks(server, callbacks);
    const cpuAfter = await processCpuSeconds(server.pid);
    const seqAfterCredits = await settled(server);
    log(
      name,
      `${run.perSecond.toFixed(0)} callbacks/s, p50 ${run.p50} ms, p99 ${run.p99} ms, statuses ${JSON.stringify(run.statuses)}`,
    );

    // 5. The same events again, freshly signed: acknowledged, no record, no credit.
    const again =
      duplicates > 0
        ? await postCallbacks(
            server,
            created.slice(0, duplicates).map((order) => wechatCallback(keys, platformKey, order.transaction)),
          )
        : null;
    const seqAfterDuplicates = await settled(server);

    // 6. The ledger: each wallet holds exactly its orders, each invoice is paid, the balance adds up.
    const expectedByCustomer = new Map<string, bigint>();
    let totalFen = 0n;
    let payableFen = 0n;
    for (const order of created) {
      expectedByCustomer.set(
        order.customer,
        (expectedByCustomer.get(order.customer) ?? 0n) + order.amountFen,
      );
      totalFen += order.amountFen;
      payableFen +=
        order.amountFen -
        feeFen(order.amountFen, defaultFeeRates.channelBps.wechatpay) -
        feeFen(order.amountFen, defaultFeeRates.platformBps);
    }
    const walletMismatches: string[] = [];
    await pool(externalIds, 32, async (externalId) => {
      const wallet = await expectStatus(
        call(server, "GET", `/v1/customers/${externalId}/wallet`, key),
        200,
        "wallet",
      );
      const expected = fenToMicros(expectedByCustomer.get(externalId) ?? 0n);
      if (decimalMicros(wallet.balance) !== expected)
        walletMismatches.push(`${externalId}: ${String(wallet.balance)} ≠ ${formatMicros(expected)}`);
    });
    let unpaid = 0;
    await pool(created, 32, async (order) => {
      const invoice = await expectStatus(
        call(server, "GET", `/v1/invoices/${order.invoiceId}`, key),
        200,
        "invoice",
      );
      if (invoice.status !== "paid") unpaid += 1;
    });
    const balance = await expectStatus(call(server, "GET", "/v1/balance", key), 200, "balance");
    const cny = (balance.balances as Array<Record<string, unknown>>).find((b) => b.currency === "CNY") ?? {};
    const checks = {
      everyCallbackAcknowledged: run.acknowledged === orders,
      oneRecordPerCallback: seqAfterCredits - seqBefore === orders,
      walletsExact: walletMismatches.length === 0,
      everyInvoicePaid: unpaid === 0,
      creditSoldIsTotal: decimalMicros(cny.prepaidCreditSold) === -fenToMicros(totalFen),
      payableNetOfFees: decimalMicros(cny.payable) === fenToMicros(payableFen),
      duplicatesAcknowledged: again === null || again.acknowledged === duplicates,
      duplicatesWroteNothing: seqAfterDuplicates === seqAfterCredits,
    };
    const ledgerOk = Object.values(checks).every(Boolean);
    const ledgerLine = `ledger check: ${ledgerOk ? "ok" : "MISMATCH"} (${orders} callbacks → +${seqAfterCredits - seqBefore} records; ${customers} wallets ${walletMismatches.length === 0 ? "exact" : `off: ${walletMismatches.slice(0, 3).join("; ")}`}; ${orders - unpaid}/${orders} invoices paid; credit sold ${String(cny.prepaidCreditSold)} = −¥${formatMicros(fenToMicros(totalFen))}; payable ${String(cny.payable)}; ${duplicates} duplicates → +${seqAfterDuplicates - seqAfterCredits} records)`;
    console.log(`  [${name}] ${ledgerLine}`);

    const cpuPerCallbackUs =
      cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1e6) / orders;
    const cpuPerCheckoutUs =
      creationCpuBefore === null || creationCpuAfter === null
        ? null
        : ((creationCpuAfter - creationCpuBefore) * 1e6) / orders;
    const rows: BenchRow[] = [
      {
        name: "Verified WeChat Pay callbacks (verify, decrypt, credit)",
        unit: "callbacks/s",
        measured: round(run.perSecond),
        target: `≥ ${callbacksTargetPerSecond.toLocaleString("en-US")} callbacks/s`,
        pass: run.perSecond >= callbacksTargetPerSecond && run.acknowledged === orders,
        notes: `${orders} callbacks over ${customers} wallets, ${connections} connections, in ${run.seconds.toFixed(1)} s; p50 ${run.p50} ms, p99 ${run.p99} ms; statuses ${JSON.stringify(run.statuses)}; server CPU ${cpuPerCallbackUs === null ? "?" : cpuPerCallbackUs.toFixed(0)} µs/callback`,
      },
      {
        name: "Duplicate callbacks (fresh signatures, no credit)",
        unit: "callbacks/s",
        measured: again ? round(again.perSecond) : null,
        target: "",
        pass:
          again === null || (checks.duplicatesAcknowledged && checks.duplicatesWroteNothing) ? null : false,
        notes: again
          ? `${duplicates} re-sent events; p99 ${again.p99} ms; statuses ${JSON.stringify(again.statuses)}; +${seqAfterDuplicates - seqAfterCredits} records`
          : "skipped",
      },
      {
        name: "Checkout creations (top-up API, WeChat Native)",
        unit: "checkouts/s",
        measured: round(creationRate),
        target: "",
        pass: null,
        notes: `${orders} top-ups, ${connections} connections, in ${creationSeconds.toFixed(1)} s; p50 ${percentile(creationLatencies, 50).toFixed(1)} ms, p99 ${percentile(creationLatencies, 99).toFixed(1)} ms; each is two records and a signed order call to the in-process simulator; server CPU ${cpuPerCheckoutUs === null ? "?" : cpuPerCheckoutUs.toFixed(0)} µs/checkout`,
      },
      {
        name: "Collection ledger check",
        unit: "",
        measured: ledgerOk ? 1 : 0,
        display: ledgerOk ? "ok" : "MISMATCH",
        target: "ok",
        pass: ledgerOk,
        notes: ledgerLine,
      },
    ];
    return {
      rows,
      details: {
        orders,
        customers,
        connections,
        duplicates,
        creation: {
          perSecond: creationRate,
          seconds: creationSeconds,
          p50: percentile(creationLatencies, 50),
          p99: percentile(creationLatencies, 99),
        },
        callbacks: run,
        duplicateCallbacks: again,
        checks,
        walletMismatches: walletMismatches.slice(0, 20),
      },
    };
  } finally {
    const code = await server.stop();
    if (code !== "0") log(name, `server exited with ${code}: ${server.output().slice(-2000)}`);
    await dir.remove();
  }
}

runIfChild(name, collection);
