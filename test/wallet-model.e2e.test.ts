import BuffMoneyClient, {
  BuffMoneyAdminClient,
  BuffMoneyError,
  type UsageIngestResult,
  type Wallet,
} from "@buffmoney/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatMicros, parseDecimalToMicros } from "../domain/money.js";
import { expectAuditClean } from "./support/auditClean.js";
import { killChildServers, startChildServer } from "./support/childServer.js";
import { adminToken, startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/**
 * Model-based test of the wallet API (ledger-anchors.md's plan B). Random sequences of grants,
 * debits, reservations, captures, releases, freezes, usage batches, concurrent debits, retries with
 * the same Idempotency-Key (same or changed body, in turn or at once), moves of the test clock the
 * customers live on (holds expire as it passes them), checkpoints and restarts run through the SDK
 * against a real server that keeps two wallets resident, so the three of each run are passivated
 * and rehydrated all the time. One of them is on a card that lets usage take it 3.00 below zero;
 * one is postpaid (its usage accrues for invoicing and leaves the wallet alone). After every step
 * each wallet must read exactly what a model of balances, holds and used keys says, a usage summary
 * must sum exactly the accepted events, and the merchant's live key must never reach them; at the
 * end the audit tool verifies the whole ledger.
 * A second test runs the same against a server process also killed with SIGKILL between steps.
 */

const customersPerRun = 3;
/** 25 in `npm test`; a longer hunt: `WALLET_MODEL_RUNS=500 npx vitest run test/wallet-model.e2e.test.ts`. */
const modelRuns = Number(process.env.WALLET_MODEL_RUNS ?? 25);
/** Runs against a server process that Crash kills: each start of it takes about a second. */
const crashRuns = Number(process.env.WALLET_MODEL_CRASH_RUNS ?? 4);
const centMicros = 10_000n;
/** The rate card's price of one `tokens_output`: 0.01 yuan. */
const tokenMicros = centMicros;

interface Hold {
  /** Set once the reservation is made. */
  id: string | null;
  amount: bigint;
  open: boolean;
  /** On the run's test clock. */
  expiresAt: number;
}

interface WalletModel {
  balance: bigint;
  reserved: bigint;
  frozen: boolean;
  holds: Hold[];
  /** How low usage charges may take the available balance (its rate card's policy). */
  floor: bigint;
  /** Usage accrues for invoicing instead of being charged to the wallet. */
  postpaid: boolean;
  /** Accepted usage: events, tokens, and their price (charged or accrued). */
  usage: { events: number; tokens: bigint; micros: bigint };
}

type WalletRequest =
  | { kind: "grant" | "debit"; amount: bigint }
  | { kind: "reserve"; amount: bigint; expiresInSeconds: number }
  | { kind: "capture"; hold: number; amount: bigint | null }
  | { kind: "release"; hold: number }
  | { kind: "freeze" | "unfreeze" };

type Outcome = { ok: true; body: unknown } | { ok: false; code: string };

/** A keyed request sent earlier, and what it answered (a refusal is not stored: a retry decides again). */
interface Sent {
  key: string;
  wallet: number;
  request: WalletRequest;
  outcome: Outcome;
}

interface UsageEvent {
  customerExternalId: string;
  idempotencyKey: string;
  metric: string;
  quantity: string;
  occurredAt: string;
}

interface Model {
  run: string;
  wallets: WalletModel[];
  sent: Sent[];
  /** Accepted usage events by key, per wallet. */
  accepted: Array<Map<string, UsageEvent>>;
  keys: number;
  /** The run's test clock, which its customers live on: holds expire when it passes them. */
  clockId: string;
  clockMs: number;
  /** The clock's time when the run began. */
  startedAt: number;
  /** What the server under test can do besides answering (Real's checkpoint and crash). */
  canCheckpoint: boolean;
  canCrash: boolean;
}

/** The server under test, in this process or a child one; a restart replaces it (same ledger). */
interface Real {
  client: BuffMoneyClient;
  /** The same merchant's live key, which must never reach the sandbox customers. */
  live: BuffMoneyClient;
  restart(): Promise<void>;
  /** Snapshots every changed wallet now (in this process only). */
  checkpoint: (() => Promise<void>) | null;
  /** SIGKILL, then start again: no flush, no checkpoint (a child process only). */
  crash: (() => Promise<void>) | null;
  stop(): Promise<void>;
}

/** The server's decimal strings, negative ones included (a wallet on the negative card). */
const microsOf = (text: string): bigint => {
  const negative = text.startsWith("-");
  const parsed = parseDecimalToMicros(negative ? text.slice(1) : text);
  if (!parsed.ok) throw new Error(`not an amount: ${text}`);
  return negative ? -parsed.micros : parsed.micros;
};

const externalId = (model: Model, wallet: number) => `${model.run}-c${wallet}`;
const available = (w: WalletModel) => w.balance - w.reserved;

async function attempt(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, body: await call() };
  } catch (error) {
    if (error instanceof BuffMoneyError) return { ok: false, code: error.code };
    throw error;
  }
}

/** What the model expects of a request now: the refusal's code, or the change to make. */
function decide(
  w: WalletModel,
  request: WalletRequest,
  clockMs: number,
): { code: string } | { apply: (body: unknown) => void } {
  const hold = "hold" in request ? w.holds[request.hold] : undefined;
  switch (request.kind) {
    case "grant":
      return { apply: () => void (w.balance += request.amount) };
    case "debit":
      if (w.frozen) return { code: "wallet_frozen" };
      if (request.amount > available(w)) return { code: "insufficient_balance" };
      return { apply: () => void (w.balance -= request.amount) };
    case "reserve":
      if (w.frozen) return { code: "wallet_frozen" };
      if (request.amount > available(w)) return { code: "insufficient_balance" };
      return {
        apply: (body) => {
          w.reserved += request.amount;
          const id = (body as { reservation: { id: string } }).reservation.id;
          const expiresAt = clockMs + request.expiresInSeconds * 1000;
          w.holds.push({ id, amount: request.amount, open: true, expiresAt });
        },
      };
    case "capture":
      // The reservation is looked up before the wallet decides.
      if (!hold) return { code: "reservation_not_found" };
      if (!hold.open) return { code: "reservation_not_active" };
      if (w.frozen) return { code: "wallet_frozen" };
      if (request.amount !== null && request.amount > hold.amount)
        return { code: "capture_exceeds_reservation" };
      return {
        apply: () => {
          w.balance -= request.amount ?? hold.amount;
          w.reserved -= hold.amount;
          hold.open = false;
        },
      };
    case "release":
      if (!hold) return { code: "reservation_not_found" };
      if (!hold.open) return { code: "reservation_not_active" };
      return {
        apply: () => {
          w.reserved -= hold.amount;
          hold.open = false;
        },
      };
    case "freeze":
      if (w.frozen) return { code: "wallet_already_frozen" };
      return { apply: () => void (w.frozen = true) };
    case "unfreeze":
      if (!w.frozen) return { code: "wallet_not_frozen" };
      return { apply: () => void (w.frozen = false) };
  }
}

function send(real: Real, model: Model, wallet: number, request: WalletRequest, key: string) {
  const id = externalId(model, wallet);
  const options = { idempotencyKey: key };
  const holdId = "hold" in request ? (model.wallets[wallet]?.holds[request.hold]?.id ?? "rsv_none") : "";
  const wallets = real.client.wallets;
  switch (request.kind) {
    case "grant":
      return attempt(() =>
        wallets.grant(id, { amount: formatMicros(request.amount), reason: "model" }, options),
      );
    case "debit":
      return attempt(() => wallets.debit(id, { amount: formatMicros(request.amount) }, options));
    case "reserve":
      return attempt(() =>
        wallets.reserve(
          id,
          { amount: formatMicros(request.amount), expiresInSeconds: request.expiresInSeconds },
          options,
        ),
      );
    case "capture": {
      const params = request.amount === null ? {} : { amount: formatMicros(request.amount) };
      return attempt(() => wallets.capture(id, holdId, params, options));
    }
    case "release":
      return attempt(() => wallets.release(id, holdId, options));
    case "freeze":
      return attempt(() => wallets.freeze(id, {}, options));
    case "unfreeze":
      return attempt(() => wallets.unfreeze(id, options));
  }
}

/** Sends a request and holds its answer to the model's decision, applying the change when made. */
async function sendAndCheck(model: Model, real: Real, wallet: number, request: WalletRequest, key: string) {
  const w = model.wallets[wallet] as WalletModel;
  const expected = decide(w, request, model.clockMs);
  const outcome = await send(real, model, wallet, request, key);
  if ("code" in expected) {
    expect(outcome).toEqual({ ok: false, code: expected.code });
  } else {
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    if (outcome.ok) {
      expected.apply(outcome.body);
      expectWallet((outcome.body as { wallet: Wallet }).wallet, w);
    }
  }
  return outcome;
}

function expectWallet(actual: Wallet, w: WalletModel): void {
  expect({
    balance: microsOf(actual.balance),
    reserved: microsOf(actual.reserved),
    available: microsOf(actual.available),
    status: actual.status,
  }).toEqual({
    balance: w.balance,
    reserved: w.reserved,
    available: available(w),
    status: w.frozen ? "frozen" : "active",
  });
}

async function expectWallets(model: Model, real: Real): Promise<void> {
  for (const [i, w] of model.wallets.entries()) {
    expectWallet(await real.client.wallets.retrieve(externalId(model, i)), w);
  }
}

class Call implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly wallet: number,
    readonly request: WalletRequest,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const key = `${model.run}-k${++model.keys}`;
    const outcome = await sendAndCheck(model, real, this.wallet, this.request, key);
    model.sent.push({ key, wallet: this.wallet, request: this.request, outcome });
    await expectWallets(model, real);
  }
  toString = () =>
    `${this.request.kind}(w${this.wallet}, ${JSON.stringify(this.request, (_, v: unknown) => (typeof v === "bigint" ? `${v}` : v))})`;
}

/** The same request again with the same key: the stored answer if it was applied, else decided anew. */
class Retry implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.sent.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const sent = model.sent[this.pick % model.sent.length] as Sent;
    if (sent.outcome.ok) {
      const replayed = await send(real, model, sent.wallet, sent.request, sent.key);
      expect(replayed).toEqual(sent.outcome);
    } else {
      sent.outcome = await sendAndCheck(model, real, sent.wallet, sent.request, sent.key);
    }
    await expectWallets(model, real);
  }
  toString = () => `retry(#${this.pick})`;
}

/** The same key with another amount: refused once the key's first request was applied. */
class RetryChanged implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) =>
    model.sent.some((s) => "amount" in s.request && s.request.amount !== null);
  async run(model: Model, real: Real): Promise<void> {
    const candidates = model.sent.filter((s) => "amount" in s.request && s.request.amount !== null);
    const sent = candidates[this.pick % candidates.length] as Sent & { request: { amount: bigint } };
    const changed = { ...sent.request, amount: sent.request.amount + centMicros };
    if (sent.outcome.ok) {
      expect(await send(real, model, sent.wallet, changed, sent.key)).toEqual({
        ok: false,
        code: "idempotency_key_reused",
      });
    } else {
      sent.request = changed;
      sent.outcome = await sendAndCheck(model, real, sent.wallet, changed, sent.key);
    }
    await expectWallets(model, real);
  }
  toString = () => `retryChanged(#${this.pick})`;
}

/** Debits of one amount sent at once: exactly as many are applied as the available balance covers. */
class ConcurrentDebits implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly wallet: number,
    readonly count: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const w = model.wallets[this.wallet] as WalletModel;
    const request: WalletRequest = { kind: "debit", amount: this.amount };
    const keys = Array.from({ length: this.count }, () => `${model.run}-k${++model.keys}`);
    // Usage may have left the available balance below zero.
    const covered = w.frozen || available(w) <= 0n ? 0n : available(w) / this.amount;
    const applied = Number(covered < BigInt(this.count) ? covered : BigInt(this.count));
    const outcomes = await Promise.all(keys.map((key) => send(real, model, this.wallet, request, key)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(applied);
    const refusal = w.frozen ? "wallet_frozen" : "insufficient_balance";
    for (const o of outcomes) if (!o.ok) expect(o.code).toBe(refusal);
    w.balance -= BigInt(applied) * this.amount;
    outcomes.forEach((outcome, i) =>
      model.sent.push({ key: keys[i] as string, wallet: this.wallet, request, outcome }),
    );
    await expectWallets(model, real);
  }
  toString = () => `concurrentDebits(w${this.wallet}, ${this.count} × ${this.amount})`;
}

/** One grant sent twice at once with one key: applied once; the other answer replays it or says wait. */
class ConcurrentSameKey implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly wallet: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const w = model.wallets[this.wallet] as WalletModel;
    const request: WalletRequest = { kind: "grant", amount: this.amount };
    const key = `${model.run}-k${++model.keys}`;
    const outcomes = await Promise.all([1, 2].map(() => send(real, model, this.wallet, request, key)));
    const applied = outcomes.filter((o): o is Outcome & { ok: true } => o.ok);
    expect(applied.length).toBeGreaterThanOrEqual(1);
    for (const o of applied) expect(o).toEqual(applied[0]);
    for (const o of outcomes) if (!o.ok) expect(o.code).toBe("idempotency_key_in_use");
    w.balance += this.amount;
    model.sent.push({ key, wallet: this.wallet, request, outcome: applied[0] as Outcome });
    await expectWallets(model, real);
  }
  toString = () => `concurrentSameKey(w${this.wallet}, ${this.amount})`;
}

type UsageItem = { tokens: number; reuse: "new" | "same" | "changed"; pick: number };

/** A usage batch: new events, and keys already accepted sent again with the same or other content. */
class Ingest implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly wallet: number,
    readonly items: UsageItem[],
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const w = model.wallets[this.wallet] as WalletModel;
    const accepted = model.accepted[this.wallet] as Map<string, UsageEvent>;
    const earlier = [...accepted.values()];
    const inBatch = new Set<string>();
    const events: UsageEvent[] = [];
    const expected: string[] = [];
    const charges: Array<{ event: UsageEvent; micros: bigint }> = [];
    for (const item of this.items) {
      const old =
        earlier.length > 0 && item.reuse !== "new" ? earlier[item.pick % earlier.length] : undefined;
      if (old && !inBatch.has(old.idempotencyKey)) {
        inBatch.add(old.idempotencyKey);
        const same = item.reuse === "same";
        events.push(same ? old : { ...old, quantity: String(Number(old.quantity) + 1) });
        expected.push(same ? "duplicate" : "idempotency_key_reused");
        continue;
      }
      const event = {
        customerExternalId: externalId(model, this.wallet),
        idempotencyKey: `${model.run}-e${++model.keys}`,
        metric: "tokens_output",
        quantity: String(item.tokens),
        occurredAt: new Date(model.clockMs - 1_000).toISOString(),
      };
      events.push(event);
      const micros = BigInt(item.tokens) * tokenMicros;
      const spent = charges.reduce((sum, c) => sum + c.micros, 0n);
      if (w.frozen) expected.push("wallet_frozen");
      else if (w.postpaid) {
        // Accrued for invoicing: accepted, and the wallet does not move.
        expected.push("accepted");
        charges.push({ event, micros: 0n });
      } else if (available(w) - spent - micros < w.floor) expected.push("insufficient_balance");
      else {
        expected.push("accepted");
        charges.push({ event, micros });
      }
    }
    const answer: UsageIngestResult = await real.client.usageEvents.ingest(events);
    expect(answer.results.map((r) => (r.status === "rejected" ? r.code : r.status))).toEqual(expected);
    for (const { event, micros } of charges) {
      w.balance -= micros;
      accepted.set(event.idempotencyKey, event);
      w.usage.events += 1;
      w.usage.tokens += BigInt(event.quantity);
      w.usage.micros += BigInt(event.quantity) * tokenMicros;
    }
    await expectWallets(model, real);
  }
  toString = () => `ingest(w${this.wallet}, ${JSON.stringify(this.items)})`;
}

/** The usage summary since the run began sums exactly the accepted events, charged or accrued. */
class Summary implements fc.AsyncCommand<Model, Real> {
  constructor(readonly wallet: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const w = model.wallets[this.wallet] as WalletModel;
    const summary = await real.client.usage.summary(externalId(model, this.wallet), {
      from: new Date(model.startedAt - 60_000),
      to: new Date(model.clockMs + 1_000),
    });
    const groups = summary.groups.map((g) => ({
      metric: g.metric,
      events: g.events,
      tokens: BigInt(g.quantity),
      micros: microsOf(g.amount),
    }));
    const { events, tokens, micros } = w.usage;
    expect(groups).toEqual(events === 0 ? [] : [{ metric: "tokens_output", events, tokens, micros }]);
    await expectWallets(model, real);
  }
  toString = () => `summary(w${this.wallet})`;
}

/** The live key asks for a sandbox customer: not found, whatever it asks, and nothing changes. */
class LiveProbe implements fc.AsyncCommand<Model, Real> {
  constructor(readonly wallet: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const id = externalId(model, this.wallet);
    const notFound = { ok: false, code: "customer_not_found" };
    expect(await attempt(() => real.live.wallets.retrieve(id))).toEqual(notFound);
    expect(await attempt(() => real.live.wallets.grant(id, { amount: "1.00", reason: "live" }))).toEqual(
      notFound,
    );
    const usage = await real.live.usageEvents.ingest([
      {
        customerExternalId: id,
        idempotencyKey: `${model.run}-live${++model.keys}`,
        metric: "tokens_output",
        quantity: "1",
        occurredAt: new Date(Date.now() - 1_000),
      },
    ]);
    expect(usage.results.map((r) => (r.status === "rejected" ? r.code : r.status))).toEqual([
      "customer_not_found",
    ]);
    await expectWallets(model, real);
  }
  toString = () => `liveProbe(w${this.wallet})`;
}

/** Moves the run's test clock on: every hold it passes expires, each at its own time. */
class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    model.clockMs += this.seconds * 1000;
    await real.client.testClocks.advance(model.clockId, { frozenTime: new Date(model.clockMs) });
    for (const w of model.wallets) {
      for (const hold of w.holds) {
        if (!hold.open || hold.expiresAt > model.clockMs) continue;
        hold.open = false;
        w.reserved -= hold.amount;
      }
    }
    await expectWallets(model, real);
  }
  toString = () => `advance(${this.seconds} s)`;
}

class Checkpoint implements fc.AsyncCommand<Model, Real> {
  check = (model: Readonly<Model>) => model.canCheckpoint;
  async run(model: Model, real: Real): Promise<void> {
    await real.checkpoint?.();
    await expectWallets(model, real);
  }
  toString = () => "checkpoint";
}

class Restart implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.restart();
    await expectWallets(model, real);
  }
  toString = () => "restart";
}

/** Every answered request survives a SIGKILL: what the model holds is what the ledger replays. */
class Crash implements fc.AsyncCommand<Model, Real> {
  check = (model: Readonly<Model>) => model.canCrash;
  async run(model: Model, real: Real): Promise<void> {
    await real.crash?.();
    await expectWallets(model, real);
  }
  toString = () => "crash";
}

const clientOf = (baseUrl: string, apiKey: string) => new BuffMoneyClient({ apiKey, baseUrl, maxRetries: 0 });
const clientsOf = (baseUrl: string, apiKeys: { test: string; live: string }) => ({
  client: clientOf(baseUrl, apiKeys.test),
  live: clientOf(baseUrl, apiKeys.live),
});

/** Wallets kept in memory by the server under test: fewer than one run's customers. */
const residentWalletsMax = 2;

async function inProcessServer(dataDir: string): Promise<Real> {
  let server = await startTestServer({ dataDir, residentWalletsMax });
  const { apiKeys } = await server.admin.merchants.create({ name: "Model" });
  const real: Real = {
    ...clientsOf(server.url, apiKeys),
    restart: async () => {
      await server.stop();
      server = await startTestServer({ dataDir, residentWalletsMax });
      Object.assign(real, clientsOf(server.url, apiKeys));
    },
    checkpoint: () => server.runtime.checkpoint(),
    crash: null,
    stop: () => server.stop(),
  };
  return real;
}

async function childProcessServer(dataDir: string): Promise<Real> {
  const start = () =>
    startChildServer({
      dataDir,
      adminToken,
      env: { BUFFMONEY_RESIDENT_WALLETS_MAX: String(residentWalletsMax) },
    });
  let server = await start();
  const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: server.url });
  const { apiKeys } = await admin.merchants.create({ name: "Model, crashed" });
  const real: Real = {
    ...clientsOf(server.url, apiKeys),
    restart: async () => {
      await server.stop();
      server = await start();
      Object.assign(real, clientsOf(server.url, apiKeys));
    },
    checkpoint: null,
    crash: async () => {
      await server.kill();
      server = await start();
      Object.assign(real, clientsOf(server.url, apiKeys));
    },
    stop: async () => void (await server.stop()),
  };
  return real;
}

const wallet = fc.integer({ min: 0, max: customersPerRun - 1 });
/** Seconds, from a few round spans: sums of clock moves often land exactly on a hold's expiry. */
const span = fc.constantFrom(1, 2, 5, 10, 30).map((minutes) => minutes * 60);
const amount = fc.integer({ min: 1, max: 1_500 }).map((c) => BigInt(c) * centMicros);
const ingest = fc
  .tuple(
    wallet,
    fc.array(
      fc.record({
        tokens: fc.integer({ min: 1, max: 800 }),
        reuse: fc.constantFrom<UsageItem["reuse"]>("new", "new", "same", "changed"),
        pick: fc.nat(),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([w, items]) => new Ingest(w, items));
const commands = [
  fc
    .tuple(wallet, fc.integer({ min: 1, max: 3_000 }))
    .map(([w, c]) => new Call(w, { kind: "grant", amount: BigInt(c) * centMicros })),
  fc.tuple(wallet, amount).map(([w, a]) => new Call(w, { kind: "debit", amount: a })),
  fc
    .tuple(wallet, amount, span)
    .map(([w, a, s]) => new Call(w, { kind: "reserve", amount: a, expiresInSeconds: s })),
  // Twice as likely as most: holds should expire as often as they are captured or released.
  span.map((s) => new Advance(s)),
  span.map((s) => new Advance(s)),
  fc
    .tuple(wallet, fc.nat(), fc.option(amount, { nil: null }))
    .map(([w, h, a]) => new Call(w, { kind: "capture", hold: h % 4, amount: a })),
  fc.tuple(wallet, fc.nat()).map(([w, h]) => new Call(w, { kind: "release", hold: h % 4 })),
  wallet.map((w) => new Call(w, { kind: "freeze" })),
  wallet.map((w) => new Call(w, { kind: "unfreeze" })),
  fc.tuple(wallet, fc.integer({ min: 2, max: 8 }), amount).map(([w, n, a]) => new ConcurrentDebits(w, n, a)),
  fc.tuple(wallet, amount).map(([w, a]) => new ConcurrentSameKey(w, a)),
  wallet.map((w) => new LiveProbe(w)),
  wallet.map((w) => new Summary(w)),
  fc.nat().map((n) => new Retry(n)),
  fc.nat().map((n) => new RetryChanged(n)),
  // Three times as likely as the others: usage is where wallets run low and the card's floor applies.
  ingest,
  ingest,
  ingest,
  fc.constant(new Checkpoint()),
  fc.constant(new Restart()),
  fc.constant(new Crash()),
];

/** Refuses a charge the available balance does not cover. */
let rejectingCard: string;
/** Lets charges take the available balance down to -3.00. */
let negativeCard: string;
const negativeLimitMicros = 3_000_000n;
let runs = 0;

async function createCards(client: BuffMoneyClient): Promise<void> {
  const prices = [{ metric: "tokens_output", pricing: "per_unit" as const, unitAmount: "0.01" }];
  rejectingCard = (await client.rateCards.create({ name: "model tokens", currency: "CNY", prices })).id;
  negativeCard = (
    await client.rateCards.create({
      name: "model tokens, may go negative",
      currency: "CNY",
      prices,
      insufficientBalance: { mode: "allow_negative", limit: formatMicros(negativeLimitMicros) },
    })
  ).id;
}

/** A run's fresh customers, each with a little credit, and the model of their wallets. */
async function freshRun(real: Real, options: Pick<Model, "canCheckpoint" | "canCrash">): Promise<Model> {
  // Whole seconds: the model's clock and the server's read the same instants.
  const clockMs = Math.floor(Date.now() / 1000) * 1000;
  const clock = await real.client.testClocks.create({ frozenTime: new Date(clockMs) });
  const model: Model = {
    run: `r${++runs}`,
    clockId: clock.id,
    clockMs,
    startedAt: clockMs,
    // The second customer's card lets usage take its wallet below zero; the third is postpaid.
    wallets: Array.from({ length: customersPerRun }, (_, i) => ({
      balance: 0n,
      reserved: 0n,
      frozen: false,
      holds: [],
      floor: i === 1 ? -negativeLimitMicros : 0n,
      postpaid: i === 2,
      usage: { events: 0, tokens: 0n, micros: 0n },
    })),
    sent: [],
    accepted: Array.from({ length: customersPerRun }, () => new Map()),
    keys: 0,
    ...options,
  };
  for (const [i, w] of model.wallets.entries()) {
    await real.client.customers.create({ externalId: externalId(model, i), testClockId: clock.id });
    const rateCardId = w.floor < 0n ? negativeCard : rejectingCard;
    const billingMode = w.postpaid ? "postpaid" : "prepaid";
    await real.client.customers.update(externalId(model, i), { rateCardId, billingMode });
    // Little to start with: usage and debits soon meet the floor, and grants lift it again.
    w.balance = BigInt(2 + 4 * i) * 1_000_000n;
    await real.client.wallets.grant(externalId(model, i), {
      amount: formatMicros(w.balance),
      reason: "start",
    });
  }
  return model;
}

async function checkAgainstModel(
  open: (dataDir: string) => Promise<Real>,
  numRuns: number,
  options: Pick<Model, "canCheckpoint" | "canCrash">,
): Promise<void> {
  const dir = await tempDir();
  const real = await open(dir.path);
  try {
    await createCards(real.client);
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: "large" }), async (steps) => {
        const model = await freshRun(real, options);
        await fc.asyncModelRun(() => ({ model, real }), steps);
      }),
      { numRuns },
    );
    await real.stop();
    await expectAuditClean(dir.path);
  } finally {
    await real.stop().catch(() => undefined);
    await killChildServers();
    await dir.remove();
  }
}

describe("wallets against a model", () => {
  it(
    "answer every step as the model says, across retries, checkpoints and restarts",
    () => checkAgainstModel(inProcessServer, modelRuns, { canCheckpoint: true, canCrash: false }),
    120_000 + modelRuns * 2_000,
  );

  it(
    "answer as the model says in a server process killed with SIGKILL between steps",
    () => checkAgainstModel(childProcessServer, crashRuns, { canCheckpoint: false, canCrash: true }),
    120_000 + crashRuns * 20_000,
  );
});
