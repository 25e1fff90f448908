import BuffMoneyClient, { BuffMoneyAdminClient, type WalletTransaction } from "@buffmoney/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { Log } from "../wal/index.js";
import { killChildServers, startChildServer, type ChildServer } from "./support/childServer.js";
import { tempDir } from "./support/tempDir.js";

/**
 * A seeded simulation: many concurrent debits, the server SIGKILLed at a seeded moment, restarted on
 * the same ledger, the debits it never answered retried with their keys; then an auditor's checks.
 * BUFFMONEY_CRASH_SEED replays a run.
 */
const seed = Number(process.env.BUFFMONEY_CRASH_SEED ?? 20_261_127);
const customersCount = 20;
const crashCycles = 3;
const concurrentDebits = 48;
const debitsPerCycleMax = 20_000;
const loadMsMin = 300;
const loadMsSpread = 500;
const retryConcurrency = 16;
const grantMicros = 1_000_000_000n;
const requestTimeoutMs = 15_000;
const adminToken = `bm_admin_crash_${seed}`;
/** Small amounts, so that every cycle's debits together stay far below a wallet's grant. */
const debitAmounts = ["0.37", "0.01", "0.05", "0.10", "0.25", "0.123456", "0.49"];

/** mulberry32: a tiny deterministic PRNG. */
function random(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function toMicros(amount: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(amount);
  if (!match) throw new Error(`not a decimal amount: ${amount}`);
  const micros = BigInt(match[2] ?? "0") * 1_000_000n + BigInt((match[3] ?? "").padEnd(6, "0"));
  return match[1] === "-" ? -micros : micros;
}

interface Customer {
  id: string;
  externalId: string;
}

interface Debit {
  key: string;
  externalId: string;
  amount: string;
  cycle: number;
  /** acked: a 2xx with a whole body; unknown: no answer (the kill); refused: an error answer. */
  outcome: "pending" | "acked" | "unknown" | "refused";
  status?: number;
  transactionId?: string;
  sequence?: number;
}

interface Answer {
  status: number;
  replayed: boolean;
  body: unknown;
}

async function postDebit(url: string, apiKey: string, debit: Debit): Promise<Answer> {
  const response = await fetch(`${url}/v1/customers/${encodeURIComponent(debit.externalId)}/wallet/debits`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${apiKey}`,
      "Content-Type": "application/json",
      "Idempotency-Key": debit.key,
    },
    body: JSON.stringify({ amount: debit.amount }),
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  const body: unknown = await response.json();
  return { status: response.status, replayed: response.headers.get("Idempotent-Replayed") === "true", body };
}

function transactionOf(answer: Answer): { id: string; sequence: number; amount: string } {
  const tx = (answer.body as { transaction?: { id?: unknown; sequence?: unknown; amount?: unknown } })
    .transaction;
  if (typeof tx?.id !== "string" || typeof tx.sequence !== "number" || typeof tx.amount !== "string") {
    throw new Error(
      `a debit answered ${answer.status} without a transaction: ${JSON.stringify(answer.body)}`,
    );
  }
  return { id: tx.id, sequence: tx.sequence, amount: tx.amount };
}

async function inParallel<T>(
  items: readonly T[],
  width: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await run(items[i] as T);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

/** Once with every wallet resident, once with most passivated to snapshots between their debits. */
const residency = [
  { residency: "all wallets resident", env: {} },
  { residency: "6 of 20 wallets resident", env: { BUFFMONEY_RESIDENT_WALLETS_MAX: "6" } },
];

describe.each(residency)("SIGKILL during concurrent debits, $residency", ({ env }) => {
  const debits: Debit[] = [];
  const customers: Customer[] = [];
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let server: ChildServer | undefined;
  let apiKey = "";
  const where = () => `(seed ${seed}; server output:\n${server?.output() ?? ""})`;

  afterAll(async () => {
    await killChildServers();
    await dir?.remove();
  });

  const client = () => new BuffMoneyClient({ apiKey, baseUrl: server?.url ?? "", maxRetries: 0 });

  /** Fires debits from many lanes until the seeded moment, then SIGKILLs the server under them. */
  async function crashUnderLoad(cycle: number): Promise<{ inFlightAtKill: number }> {
    const running = server;
    if (!running) throw new Error("no server");
    const pick = random(seed * 31 + cycle);
    const killAfterMs = loadMsMin + Math.floor(pick() * loadMsSpread);
    let killed = false;
    let inFlight = 0;
    let issued = 0;
    let firstAck = () => {};
    const acknowledged = new Promise<void>((resolve) => {
      firstAck = resolve;
    });
    const lane = async () => {
      while (!killed && issued < debitsPerCycleMax) {
        // Each debit's customer and amount follow from its number alone, whatever the interleaving.
        const n = issued++;
        const choose = random(seed ^ (cycle * 1_000_003 + n * 7919));
        const debit: Debit = {
          key: `crash-${seed}-${cycle}-${n}`,
          externalId: customers[Math.floor(choose() * customers.length)]?.externalId ?? "",
          amount: debitAmounts[Math.floor(choose() * debitAmounts.length)] ?? "0.01",
          cycle,
          outcome: "pending",
        };
        debits.push(debit);
        inFlight += 1;
        try {
          const answer = await postDebit(running.url, apiKey, debit);
          debit.status = answer.status;
          if (answer.status >= 200 && answer.status < 300) {
            const tx = transactionOf(answer);
            Object.assign(debit, { outcome: "acked", transactionId: tx.id, sequence: tx.sequence });
            firstAck();
          } else {
            debit.outcome = "refused";
          }
        } catch {
          debit.outcome = "unknown";
        } finally {
          inFlight -= 1;
        }
      }
    };
    const lanes = Array.from({ length: concurrentDebits }, lane);
    // The seeded delay counts from the first acknowledgement, so a slow start cannot leave nothing acked.
    await Promise.race([acknowledged, Promise.all(lanes)]);
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));
    killed = true;
    const inFlightAtKill = inFlight;
    await running.kill();
    await Promise.all(lanes);
    return { inFlightAtKill };
  }

  /** Every transaction of a wallet, newest first, page by page, checking the order on the way. */
  async function history(externalId: string): Promise<WalletTransaction[]> {
    const all: WalletTransaction[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await client().wallets.transactions(externalId, { limit: 100, startingAfter: cursor });
      all.push(...page.data);
      if (!page.hasMore) break;
      expect(page.nextCursor, `a page with more after it names a cursor ${where()}`).not.toBeNull();
      cursor = page.nextCursor ?? undefined;
    }
    const sequences = all.map((t) => t.sequence);
    expect(sequences, `${externalId}'s history is newest first ${where()}`).toEqual(
      [...sequences].sort((a, b) => b - a),
    );
    return all;
  }

  /** The API's view: each acked debit listed once, no duplicate ids, balance = grants − debits. */
  async function auditThroughApi(
    phase: string,
    { allSettled }: { allSettled: boolean },
  ): Promise<Map<string, bigint>> {
    const balances = new Map<string, bigint>();
    for (const customer of customers) {
      const listed = await history(customer.externalId);
      const ids = listed.map((t) => t.id);
      expect(ids.length, `${phase}: ${customer.externalId} lists a transaction twice ${where()}`).toBe(
        new Set(ids).size,
      );
      const byId = new Map(listed.map((t) => [t.id, t]));
      const mine = debits.filter((d) => d.externalId === customer.externalId);
      for (const debit of mine.filter((d) => d.transactionId !== undefined)) {
        const tx = byId.get(debit.transactionId ?? "");
        expect(
          tx,
          `${phase}: debit ${debit.key} (${debit.outcome}) is missing from the history ${where()}`,
        ).toBeDefined();
        expect(tx).toMatchObject({ type: "debit", sequence: debit.sequence });
        expect(toMicros(tx?.amount ?? "")).toBe(toMicros(debit.amount));
      }
      const listedDebits = listed.filter((t) => t.type === "debit");
      if (allSettled) {
        const settled = mine.map((d) => d.transactionId).sort();
        expect(
          listedDebits.map((t) => t.id).sort(),
          `${phase}: ${customer.externalId}'s debits ${where()}`,
        ).toEqual(settled);
      }
      const grants = listed.filter((t) => t.type === "grant");
      expect(listed.length, `${phase}: only grants and debits happened`).toBe(
        grants.length + listedDebits.length,
      );
      const sum = (txs: WalletTransaction[]) => txs.reduce((total, t) => total + toMicros(t.amount), 0n);
      const wallet = await client().wallets.retrieve(customer.externalId);
      const expected = sum(grants) - sum(listedDebits);
      expect(sum(grants)).toBe(grantMicros);
      expect(toMicros(wallet.balance), `${phase}: ${customer.externalId}'s balance ${where()}`).toBe(
        expected,
      );
      expect(wallet.reserved).toBe("0.00");
      expect(toMicros(listed[0]?.balanceAfter ?? ""), `${phase}: the newest balanceAfter`).toBe(expected);
      balances.set(customer.id, expected);
    }
    return balances;
  }

  /** Retries what was never acknowledged with the same key and body: it settles, exactly once. */
  async function settleUnacknowledged(cycle: number): Promise<{ replayed: number; executed: number }> {
    const url = server?.url ?? "";
    const open = debits.filter((d) => d.cycle === cycle && d.outcome !== "acked");
    let replayed = 0;
    await inParallel(open, retryConcurrency, async (debit) => {
      const first = await postDebit(url, apiKey, debit);
      expect(first.status, `retry of ${debit.key}: ${JSON.stringify(first.body)} ${where()}`).toBe(201);
      const tx = transactionOf(first);
      expect(toMicros(tx.amount)).toBe(toMicros(debit.amount));
      if (first.replayed) replayed += 1;
      debit.transactionId = tx.id;
      debit.sequence = tx.sequence;
      const again = await postDebit(url, apiKey, debit);
      expect(again.replayed, `a second retry of ${debit.key} is a replay`).toBe(true);
      expect(again.body).toEqual(first.body);
    });
    // Acknowledged debits replay their stored response too, never a second execution.
    const acked = debits.filter((d) => d.cycle === cycle && d.outcome === "acked");
    await inParallel(acked, retryConcurrency, async (debit) => {
      const replay = await postDebit(url, apiKey, debit);
      expect(replay.status).toBe(201);
      expect(replay.replayed, `a retry of acknowledged ${debit.key} is a replay ${where()}`).toBe(true);
      expect(transactionOf(replay)).toMatchObject({ id: debit.transactionId, sequence: debit.sequence });
    });
    return { replayed, executed: open.length - replayed };
  }

  /** Opens the stopped server's ledger directly: every record balances, wallets fold to the API balance. */
  async function auditLedger(balances: Map<string, bigint>): Promise<void> {
    const log = await Log.open(dir?.path ?? "");
    const accounts = new Map<string, bigint>();
    const debitedIds = new Map<string, number>();
    const consumedKeys = new Map<string, number>();
    let records = 0;
    try {
      for await (const record of log.scan(1)) {
        records += 1;
        const perCurrency = new Map<string, bigint>();
        for (const p of record.postings) {
          expect(p.amountMicros, `record ${record.seq}: amounts are digit strings`).toMatch(/^-?\d+$/);
          const amount = BigInt(p.amountMicros);
          perCurrency.set(p.currency, (perCurrency.get(p.currency) ?? 0n) + amount);
          accounts.set(p.account, (accounts.get(p.account) ?? 0n) + amount);
        }
        for (const [currency, sum] of perCurrency) {
          expect(sum, `record ${record.seq} does not balance in ${currency}`).toBe(0n);
        }
        for (const key of record.keys) consumedKeys.set(key, (consumedKeys.get(key) ?? 0) + 1);
        for (const fact of record.facts) {
          if (fact.type !== "wallet.debited") continue;
          const id = String(fact.transactionId);
          debitedIds.set(id, (debitedIds.get(id) ?? 0) + 1);
        }
      }
      expect(log.head.seq).toBe(records);
    } finally {
      await log.close();
    }
    for (const customer of customers) {
      const available = accounts.get(`test:customer:${customer.id}:wallet_available`) ?? 0n;
      const held = accounts.get(`test:customer:${customer.id}:wallet_held`) ?? 0n;
      expect(available + held, `${customer.externalId}: ledger fold vs API balance`).toBe(
        balances.get(customer.id),
      );
      expect(held).toBe(0n);
    }
    const duplicated = [...debitedIds].filter(([, count]) => count > 1);
    expect(duplicated, "a debit transaction id recorded twice").toEqual([]);
    expect([...debitedIds.keys()].sort()).toEqual(debits.map((d) => d.transactionId).sort());
    const reusedKeys = [...consumedKeys].filter(([, count]) => count > 1);
    expect(reusedKeys, "an idempotency key consumed by two records").toEqual([]);
    for (const debit of debits) {
      const consumed = [...consumedKeys.keys()].some((scope) => scope.endsWith(`!${debit.key}`));
      expect(consumed, `the ledger names the key of ${debit.key}`).toBe(true);
    }
  }

  it("keeps every acknowledged debit exactly once, settles the rest on retry, and balances the ledger", async () => {
    dir = await tempDir("buffmoney-crash-");
    const restart = async () => {
      server = await startChildServer({ dataDir: dir?.path ?? "", adminToken, env });
    };
    await restart();
    const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: server?.url ?? "", maxRetries: 0 });
    apiKey = (await admin.merchants.create({ name: "Crash Test Merchant" })).apiKeys.test;
    for (let i = 0; i < customersCount; i += 1) {
      const externalId = `crash_customer_${i}`;
      const created = await client().customers.create({ externalId });
      customers.push({ id: created.id, externalId });
      await client().wallets.grant(externalId, { amount: "1000.00", reason: "crash test credit" });
    }

    const cycles: string[] = [];
    for (let cycle = 1; cycle <= crashCycles; cycle += 1) {
      const { inFlightAtKill } = await crashUnderLoad(cycle);
      const mine = debits.filter((d) => d.cycle === cycle);
      const count = (outcome: Debit["outcome"]) => mine.filter((d) => d.outcome === outcome).length;
      expect(
        count("acked"),
        `cycle ${cycle} acknowledged some debits before the kill ${where()}`,
      ).toBeGreaterThan(0);
      expect(count("pending"), "every request ended").toBe(0);
      expect(inFlightAtKill, `cycle ${cycle} killed the server with debits in flight`).toBeGreaterThan(0);

      await restart();
      await auditThroughApi(`cycle ${cycle} after restart`, { allSettled: false });
      const { replayed, executed } = await settleUnacknowledged(cycle);
      await auditThroughApi(`cycle ${cycle} after retries`, { allSettled: true });
      cycles.push(
        `cycle ${cycle}: ${mine.length} debits, ${count("acked")} acked, ${count("unknown")} unanswered, ` +
          `${count("refused")} refused, ${inFlightAtKill} in flight at kill; retries: ${replayed} replayed, ${executed} executed`,
      );
      if (cycle === 1) {
        // A clean restart in between: the next crash recovers from a checkpoint and snapshots.
        expect(await server?.stop()).toBe(0);
        await restart();
        await auditThroughApi(`cycle ${cycle} after a clean restart`, { allSettled: true });
      }
    }

    const balances = await auditThroughApi("final", { allSettled: true });
    expect(await server?.stop(), `a clean stop ${where()}`).toBe(0);
    await auditLedger(balances);
    console.log(`crash simulation, seed ${seed}:\n${cycles.join("\n")}`);
  }, 120_000);
});
