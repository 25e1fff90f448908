import { createHash } from "node:crypto";
import { cp, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Customer, Runtime } from "../actors/index.js";
import { accounts } from "../domain/accounts.js";
import { microsPerUnit } from "../domain/money.js";
import {
  AuditLedger,
  balancesAsOf,
  compareSnapshots,
  entityAsOf,
  exportCsv,
  resolveAsOf,
  verifyLedger,
  type Finding,
} from "../snapshots/audit/index.js";
import { decodeRecord, encodeRecord, entityIndexDir, keys, Log, type LogRecord } from "../wal/index.js";
import { grantOf, openRuntime, seedCustomers } from "./support/runtimeFixture.js";
import { editStore } from "./support/editStore.js";
import { tempDir } from "./support/tempDir.js";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";
import { cli } from "./support/cli.js";

const yuan = (n: number) => BigInt(Math.round(n * 100)) * 10_000n;

let root: { path: string; remove: () => Promise<void> };
/** A closed ledger built through the runtime; tests copy it before changing anything. */
let ledgerDir: string;
let customers: Customer[];
let afterGrantsSeq: number;
let headSeq: number;

/** Three prepaid customers on a card that allows ¥1 below zero; grants, usage batches, a debit, a reservation. */
async function buildLedger(runtime: Runtime): Promise<void> {
  const seeded = await seedCustomers(runtime, 3);
  customers = seeded.customers;
  const card = await runtime.rateCards.create(
    "test",
    seeded.merchantId,
    {
      name: "images",
      currency: "CNY",
      prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.20" }],
      insufficientBalance: { mode: "allow_negative", limitMicros: String(yuan(1)) },
    },
    { kind: "admin" },
  );
  for (const [i, c] of customers.entries()) {
    customers[i] = await runtime.customers.update(
      c,
      { rateCardId: card.id, billingMode: "prepaid" },
      { kind: "admin" },
      async () => {},
    );
  }
  for (const c of customers.slice(0, 2)) await runtime.wallets.execute(c, grantOf(yuan(10)));
  await runtime.wallets.execute(customers[2]!, grantOf(yuan(1)));
  afterGrantsSeq = runtime.log.head.seq;
  let n = 0;
  const occurredAt = new Date().toISOString();
  for (let batch = 0; batch < 5; batch++) {
    const results = await runtime.usage.ingest(
      "test",
      seeded.merchantId,
      customers.slice(0, 2).map((c) => ({
        customerExternalId: c.externalId,
        idempotencyKey: `evt_${++n}`,
        metric: "images",
        quantity: "2",
        occurredAt,
      })),
    );
    expect(results.every((r) => r.status === "accepted")).toBe(true);
  }
  // ¥1.20 on a ¥1 wallet: allowed down to the card's −¥1 floor.
  const overdraw = await runtime.usage.ingest("test", seeded.merchantId, [
    {
      customerExternalId: customers[2]!.externalId,
      idempotencyKey: "evt_over",
      metric: "images",
      quantity: "6",
      occurredAt,
    },
  ]);
  expect(overdraw[0]?.status).toBe("accepted");
  await runtime.wallets.execute(customers[0]!, ({ at }) => ({
    type: "wallet.reserve",
    reservationId: "rsv_1",
    amountMicros: yuan(3),
    expiresAt: at + 3_600_000,
    transactionId: "wtx_reserve_1",
    at,
  }));
  await runtime.wallets.execute(customers[0]!, ({ at }) => ({
    type: "wallet.capture",
    reservationId: "rsv_1",
    amountMicros: yuan(2),
    transactionId: "wtx_capture_1",
    at,
  }));
  headSeq = runtime.log.head.seq;
}

async function copyOfLedger(name: string): Promise<string> {
  const path = join(root.path, name);
  await cp(ledgerDir, path, { recursive: true });
  return path;
}

const tamper = editStore;

/**
 * Name, size and mtime of every file LevelDB does not touch on its own (LOCK, the LOG info files),
 * in the ledger's store and in the entity index's store inside it.
 */
async function fingerprint(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n !== "LOCK" && !n.startsWith("LOG")).sort();
  const rows = await Promise.all(
    names.map(async (n) => {
      const s = await stat(join(dir, n));
      if (s.isDirectory()) return (await fingerprint(join(dir, n))).map((row) => `${n}/${row}`);
      const digest = createHash("sha256")
        .update(await readFile(join(dir, n)))
        .digest("hex");
      return [`${n} ${s.size} ${s.mtimeMs} ${digest}`];
    }),
  );
  return rows.flat();
}

async function withLedger<T>(dir: string, work: (ledger: AuditLedger) => Promise<T>): Promise<T> {
  const ledger = await AuditLedger.open(dir);
  try {
    return await work(ledger);
  } finally {
    await ledger.close();
  }
}

/** RFC 4180 with quoted fields; the BOM is stripped first. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i += 1;
    } else cell += ch;
  }
  return rows;
}

const unitsToMicros = (text: string): bigint => {
  const [whole = "0", fraction = ""] = text.replace("-", "").split(".");
  const micros = BigInt(whole) * microsPerUnit + BigInt(fraction.padEnd(6, "0"));
  return text.startsWith("-") ? -micros : micros;
};

const checksOf = (findings: readonly Finding[]) => findings.map((f) => `${f.seq} ${f.check}`);

beforeAll(async () => {
  root = await tempDir("buffmoney-audit-test-");
  ledgerDir = join(root.path, "ledger");
  const runtime = await openRuntime(ledgerDir, { snapshotIntervalRecords: 10 });
  await buildLedger(runtime);
  await runtime.close();
});
afterAll(async () => {
  await root.remove();
});

describe("audit verify", () => {
  it("passes a ledger built through the runtime, including a wallet below zero within its card's floor", async () => {
    const before = await fingerprint(ledgerDir);
    const report = await withLedger(ledgerDir, (ledger) => verifyLedger(ledger));
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.head.seq).toBe(headSeq);
    expect(report.records).toBe(headSeq);
    expect(report.currencies).toEqual(["CNY"]);
    expect(report.totalsMicros).toEqual({ CNY: 0n });
    expect(report.wallets).toBe(3);
    expect(report.idempotencyKeys).toBe(11);
    expect(report.checkpoint).toEqual({ atSeq: headSeq, matches: true });
    const balances = await withLedger(ledgerDir, async (ledger) =>
      balancesAsOf(ledger, await resolveAsOf(ledger, "head"), { accountPrefix: "test:customer:" }),
    );
    const overdrawn = accounts.walletAvailable("test", customers[2]!.id);
    expect(balances.balances.find((b) => b.account === overdrawn)?.balanceMicros).toBe(-yuan(0.2));
    expect(await fingerprint(ledgerDir)).toEqual(before);
  });

  it("as a command: --json summary, exit 0, and the data dir untouched", async () => {
    const before = await fingerprint(ledgerDir);
    const { code, stdout } = await cli(["audit", "verify", "--data-dir", ledgerDir, "--json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { ok: boolean; head: { seq: number }; totalsMicros: unknown };
    expect(report.ok).toBe(true);
    expect(report.head.seq).toBe(headSeq);
    expect(report.totalsMicros).toEqual({ CNY: "0" });
    expect(await fingerprint(ledgerDir)).toEqual(before);
  });

  it("finds a last record rewritten with a valid checksum and chain: replay does not reproduce its fact", async () => {
    const dir = await copyOfLedger("forged-last");
    await tamper(dir, async (db) => {
      const decoded = decodeRecord((await db.get(keys.record(headSeq))) ?? "");
      if (!decoded.ok) throw new Error("unreadable");
      const { hash: _hash, ...body } = decoded.record;
      const forged = { ...body, facts: [{ ...body.facts[0], amountMicros: String(yuan(1)) }] };
      await db.put(keys.record(headSeq), encodeRecord(forged as LogRecord).value);
    });
    const report = await withLedger(dir, (ledger) => verifyLedger(ledger));
    expect(report.ok).toBe(false);
    expect(checksOf(report.findings)).toContain(`${headSeq} replay_diverged`);
    expect(report.findings.every((f) => f.seq === headSeq)).toBe(true);
    // The checkpoint saw the original record: its hash changed under it.
    expect(checksOf(report.findings)).toContain(`${headSeq} checkpoint_mismatch`);
    const { code, stdout } = await cli(["audit", "verify", "--data-dir", dir]);
    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`seq ${headSeq}\\treplay_diverged`));
  });

  it("finds an entry missing from the entity index below its mark, and indexes the tail it lacks", async () => {
    const dir = await copyOfLedger("index-missing");
    const wallet = `wallet:${customers[0]?.id ?? ""}`;
    let dropped = 0;
    await tamper(entityIndexDir(dir), async (db) => {
      const [first] = await db.keys({ gte: `e!${wallet}!`, lt: `e!${wallet}!~`, limit: 1 }).all();
      dropped = Number(first?.slice(-16));
      await db.del(first ?? "");
      // The index heard of nothing after the grants: those records are indexed again from the copy.
      const batch = db.batch();
      for (const key of await db.keys({ gte: "e!", lt: "e~" }).all())
        if (Number(key.slice(-16)) > afterGrantsSeq) batch.del(key);
      batch.put(keys.meta("indexed_through"), String(afterGrantsSeq));
      await batch.write();
    });
    const report = await withLedger(dir, (ledger) => verifyLedger(ledger));
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThanOrEqual(afterGrantsSeq);
    expect(checksOf(report.findings)).toEqual([`${dropped} entity_index`]);
    expect(report.findings[0]?.message).toMatch(new RegExp(`index of ${wallet} misses record ${dropped}`));
  });

  it("reports an entity index it cannot open, and checks the ledger with one built from the log", async () => {
    const dir = await copyOfLedger("index-unreadable");
    const indexDir = entityIndexDir(dir);
    const manifest = (await readdir(indexDir)).find((name) => name.startsWith("MANIFEST-"));
    await writeFile(join(indexDir, manifest ?? "MANIFEST-000000"), "not a manifest");
    const report = await withLedger(dir, (ledger) => verifyLedger(ledger));
    expect(checksOf(report.findings)).toEqual(["null entity_index"]);
    expect(report.findings[0]?.message).toMatch(/^the entity index could not be opened \(Corruption: /);
  });

  it("finds a record missing from the middle of the log (LevelDB's silent drop) at its sequence", async () => {
    const dir = await copyOfLedger("missing-middle");
    const missing = afterGrantsSeq; // the grant to the third customer
    await tamper(dir, (db) => db.del(keys.record(missing)));
    const report = await withLedger(dir, (ledger) => verifyLedger(ledger));
    expect(report.findings[0]).toMatchObject({ seq: missing, check: "gap" });
    expect(checksOf(report.findings)).toContain(`${missing} entity_index`);
    // Without the grant, the overdraw that followed is below the floor and replays differently.
    expect(report.findings.map((f) => f.check)).toEqual(
      expect.arrayContaining(["negative_wallet", "replay_diverged"]),
    );
    expect(report.findings.every((f) => f.seq === null || f.seq >= missing)).toBe(true);
    const [verified, folded] = await Promise.all([
      cli(["audit", "verify", "--data-dir", dir, "--json"]),
      cli(["audit", "balances", "--data-dir", dir, "--json"]),
    ]);
    for (const { code, stdout } of [verified, folded]) {
      expect(code).toBe(1);
      expect((JSON.parse(stdout) as { findings: Finding[] }).findings[0]).toMatchObject({
        seq: missing,
        check: "gap",
      });
    }
  });

  it("runs beside a server holding the directory open, auditing a copy", async () => {
    const dir = await copyOfLedger("live");
    const runtime = await openRuntime(dir);
    try {
      await runtime.wallets.execute(customers[1]!, grantOf(yuan(5)));
      // A reader of the entity index waits for its pending write: the files are still after this.
      await runtime.log.entitySeqs("wallet:none");
      const before = await fingerprint(dir);
      const { code, stdout, stderr } = await cli(["audit", "verify", "--data-dir", dir, "--json"]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect((JSON.parse(stdout) as { head: { seq: number } }).head.seq).toBe(runtime.log.head.seq);
      expect(await fingerprint(dir)).toEqual(before);
      // The server is unaffected and keeps writing.
      await runtime.wallets.execute(customers[1]!, grantOf(yuan(1)));
    } finally {
      await runtime.close();
    }
  });

  it("checks each record's postings, wallet floors and key uniqueness", async () => {
    const dir = join(root.path, "handmade");
    const log = await Log.open(dir);
    const available = accounts.walletAvailable("test", "cus_x");
    const revenue = accounts.merchantRevenue("test", "mer_x");
    const record = (
      facts: Array<{ type: string }>,
      postings: Array<[string, bigint]>,
      keyList: string[],
    ) => ({
      env: "test" as const,
      merchantId: "mer_x",
      entity: "ledger:handmade",
      command: { type: "handmade" },
      facts,
      postings: postings.map(([account, amount]) => ({
        account,
        currency: "CNY",
        amountMicros: String(amount),
      })),
      keys: keyList,
    });
    await log.append(
      record(
        [{ type: "x" }],
        [
          [revenue, -5n],
          [available, 5n],
        ],
        ["k1"],
      ),
      log.now(),
    );
    await log.append(
      record(
        [{ type: "x" }],
        [
          [available, -7n],
          [revenue, 7n],
        ],
        ["k2"],
      ),
      log.now(),
    );
    await log.append(record([{ type: "x" }], [[revenue, 1n]], ["k1"]), log.now());
    await log.close();
    const report = await withLedger(dir, (ledger) => verifyLedger(ledger));
    expect(checksOf(report.findings)).toEqual([
      "2 negative_wallet",
      "3 unbalanced_postings",
      "3 key_reused",
      "null ledger_unbalanced",
    ]);
  });
});

describe("audit balances, entity, compare-snapshots, export", () => {
  it("balances as of a sequence or a time differ from now by what happened since", async () => {
    await withLedger(ledgerDir, async (ledger) => {
      const available = accounts.walletAvailable("test", customers[0]!.id);
      const held = accounts.walletHeld("test", customers[0]!.id);
      const then = await balancesAsOf(ledger, await resolveAsOf(ledger, { seq: afterGrantsSeq }));
      const now = await balancesAsOf(ledger, await resolveAsOf(ledger, "head"));
      const of = (r: typeof then, account: string) =>
        r.balances.find((b) => b.account === account)?.balanceMicros;
      expect(of(then, available)).toBe(yuan(10));
      // Five batches of 2 images at ¥0.20, then ¥3 reserved of which ¥2 captured and ¥1 released.
      expect(of(now, available)).toBe(yuan(10) - 5n * yuan(0.4) - yuan(2));
      expect(of(now, held)).toBe(0n);
      expect(then.totalsMicros).toEqual({ CNY: 0n });
      const grantTime = (await ledger.record(afterGrantsSeq))?.at ?? 0;
      expect((await resolveAsOf(ledger, { timeMs: grantTime })).seq).toBeGreaterThanOrEqual(afterGrantsSeq);
      expect((await resolveAsOf(ledger, { timeMs: grantTime - 1 })).seq).toBeLessThan(afterGrantsSeq);
      expect(await resolveAsOf(ledger, { timeMs: 0 })).toEqual({ seq: 0, at: null, hash: null });
    });
    const { code, stdout } = await cli([
      "audit",
      "balances",
      "--data-dir",
      ledgerDir,
      "--as-of-seq",
      String(afterGrantsSeq),
      "--account",
      "test:merchant:",
      "--json",
    ]);
    expect(code).toBe(0);
    const body = JSON.parse(stdout) as { balances: Array<{ account: string; balance: string }> };
    expect(body.balances.map((b) => b.balance)).toEqual(["-21.00"]);
  });

  it("an entity as of a point, from genesis or from its snapshot, with the same state", async () => {
    await withLedger(ledgerDir, async (ledger) => {
      const wallet = `wallet:${customers[0]!.id}`;
      const early = await entityAsOf(ledger, wallet, await resolveAsOf(ledger, { seq: afterGrantsSeq }));
      expect(early.source).toBe("genesis");
      expect(early.state?.context).toMatchObject({ balanceMicros: String(yuan(10)), reservedMicros: "0" });
      const head = await resolveAsOf(ledger, "head");
      const cached = await entityAsOf(ledger, wallet, head);
      const replayed = await entityAsOf(ledger, wallet, head, { useSnapshot: false });
      expect(cached.source).toBe("snapshot");
      expect(replayed.source).toBe("genesis");
      expect(cached.state).toEqual(replayed.state);
      expect(replayed.state?.context).toMatchObject({ balanceMicros: String(yuan(10) - yuan(2) - yuan(2)) });
      const customer = await entityAsOf(ledger, `customer:${customers[0]!.id}`, head);
      expect(customer.kind).toBeNull();
      expect(customer.history?.map((h) => h.facts[0]?.type)).toEqual([
        "customer.created",
        "customer.updated",
      ]);
    });
  });

  it("compare-snapshots: every snapshot matches its replay; a doctored one is a finding", async () => {
    expect(await withLedger(ledgerDir, (ledger) => compareSnapshots(ledger))).toMatchObject({
      snapshots: 3,
      matched: 3,
      findings: [],
    });
    const dir = await copyOfLedger("doctored-snapshot");
    // One snapshot's balance changed in place (its checksum no longer holds), another's changed with
    // its checksum written anew to match (it then differs only from the replay).
    const [changed, forged] = [customers[0]!, customers[1]!].map((c) => `wallet:${c.id}`) as [string, string];
    const atSeqs: Record<string, number> = {};
    await tamper(dir, async (db) => {
      for (const entity of [changed, forged]) {
        const { sum: _sum, ...snapshot } = JSON.parse((await db.get(keys.snapshot(entity))) ?? "{}") as {
          atSeq: number;
          sum: string;
          context: Record<string, unknown>;
        };
        atSeqs[entity] = snapshot.atSeq;
        const doctored = { ...snapshot, context: { ...snapshot.context, balanceMicros: "999" } };
        const sum =
          entity === forged ? createHash("sha256").update(JSON.stringify(doctored)).digest("hex") : _sum;
        await db.put(keys.snapshot(entity), JSON.stringify({ ...doctored, sum }));
      }
    });
    const report = await withLedger(dir, (ledger) => compareSnapshots(ledger));
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ seq: atSeqs[changed], check: "snapshot_checksum", entity: changed }),
        expect.objectContaining({ seq: atSeqs[forged], check: "snapshot_mismatch", entity: forged }),
      ]),
    );
    expect(report.findings).toHaveLength(2);
    // verify reads every snapshot's checksum (not its content: that is compare-snapshots').
    const verified = await withLedger(dir, (ledger) => verifyLedger(ledger));
    expect(verified.findings).toEqual([
      expect.objectContaining({ seq: atSeqs[changed], check: "snapshot_checksum", entity: changed }),
    ]);
    const { code } = await cli(["audit", "compare-snapshots", "--data-dir", dir]);
    expect(code).toBe(1);
  });

  it("export: the CSV parses back, one row per posting, summing to zero per currency", async () => {
    const out = join(root.path, "ledger.csv");
    const report = await withLedger(ledgerDir, async (ledger) =>
      exportCsv(ledger, out, await resolveAsOf(ledger, "head")),
    );
    const text = await readFile(out, "utf8");
    expect(text.startsWith("\uFEFF")).toBe(true);
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(header).toEqual([
      "seq",
      "at",
      "env",
      "merchantId",
      "entity",
      "recordType",
      "factType",
      "account",
      "currency",
      "amount",
      "transactionId",
      "by",
      "idempotencyKeys",
      "hash",
    ]);
    expect(rows).toHaveLength(report.rows);
    // Each wallet posting names its transaction, as the API's history does.
    for (const row of rows.filter((r) => r[7]?.includes(":customer:"))) expect(row[10]).toMatch(/^wtx_/);
    const sums = new Map<string, bigint>();
    for (const row of rows) sums.set(row[8]!, (sums.get(row[8]!) ?? 0n) + unitsToMicros(row[9]!));
    expect([...sums]).toEqual([["CNY", 0n]]);
    const usage = rows.find((r) => r[5] === "usage.ingest");
    expect(usage?.[4]).toMatch(/^wallet:cus_/);
    expect(usage?.[6]).toBe("usage.charged");

    const account = accounts.walletAvailable("test", customers[2]!.id);
    const history = join(root.path, "account.csv");
    const { code } = await cli([
      "audit",
      "export",
      "--data-dir",
      ledgerDir,
      "--out",
      history,
      "--account",
      account,
    ]);
    expect(code).toBe(0);
    const [, ...lines] = parseCsv((await readFile(history, "utf8")).slice(1));
    expect(lines.map((l) => [l[9], l[10]])).toEqual([
      ["1.00", "1.00"],
      ["-1.20", "-0.20"],
    ]);
  });

  it("refuses bad usage and writes nothing into the data dir", async () => {
    const before = await fingerprint(ledgerDir);
    const results = await Promise.all([
      cli(["audit", "balances", "--data-dir", ledgerDir, "--as-of-seq", "x"]),
      cli(["audit", "balances", "--data-dir", ledgerDir, "--as-of-seq", String(headSeq + 1)]),
      cli(["audit", "export", "--data-dir", ledgerDir, "--out", join(ledgerDir, "inside.csv")]),
      cli(["audit", "verify", "--data-dir", join(root.path, "nowhere")]),
    ]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(await fingerprint(ledgerDir)).toEqual(before);
  });
});

describe("audit verify: stored idempotent responses", () => {
  it("holds each stored response to the record that consumed its key: a changed amount or an orphan is found", async () => {
    const server = await startTestServer();
    try {
      const { apiKeys } = await server.admin.merchants.create({ name: "Stored" });
      const api = jsonClient(server.url, apiKeys.test);
      await api.post("/v1/customers", { externalId: "kept" });
      await api.post("/v1/customers/kept/wallet/grants", { amount: "5", reason: "r" });
      const debit = await fetch(`${server.url}/v1/customers/kept/wallet/debits`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${apiKeys.test}`,
          "Content-Type": "application/json",
          "Idempotency-Key": "debit-123",
        },
        body: JSON.stringify({ amount: "1.23" }),
      });
      expect(debit.status).toBe(201);
      await server.stop();
      const clean = await withLedger(server.dataDir, (ledger) => verifyLedger(ledger));
      expect(clean.findings).toEqual([]);

      await editStore(server.dataDir, async (db) => {
        for await (const [key, value] of db.iterator({ gte: "i!", lt: 'i"' })) {
          if (!key.endsWith("!debit-123")) continue;
          const stored = JSON.parse(value) as { body: { transaction: { amount: string } } };
          stored.body.transaction.amount = "0.01";
          await db.put(key, JSON.stringify(stored));
          await db.put(`${key}-orphan`, value);
        }
      });
      const report = await withLedger(server.dataDir, (ledger) => verifyLedger(ledger));
      expect(report.findings.map((f) => [f.check, f.message])).toEqual([
        [
          "stored_response",
          expect.stringMatching(/!debit-123: the response says 0\.01, record \d+ says 1\.23$/),
        ],
        ["stored_response", expect.stringMatching(/debit-123-orphan names no record that consumed its key$/)],
      ]);
    } finally {
      await server.remove();
    }
  });
});
