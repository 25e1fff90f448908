import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";

let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
let merchantId: string;
const iso = (ms: number) => new Date(ms).toISOString();
let n = 0;
const event = (customer: string, metric: string, quantity: string, extra: Record<string, unknown> = {}) => ({
  customerExternalId: customer,
  idempotencyKey: `evt_${++n}`,
  metric,
  quantity,
  occurredAt: iso(Date.now() - 1000),
  ...extra,
});

async function customerOn(
  externalId: string,
  card: Record<string, unknown>,
  mode: "prepaid" | "postpaid",
  grant?: string,
) {
  await api.post("/v1/customers", { externalId });
  const created = await api.post("/v1/rate-cards", { name: `card ${externalId}`, currency: "CNY", ...card });
  expect(created.status).toBe(201);
  const updated = await api.patch(`/v1/customers/${externalId}`, {
    rateCardId: created.body.id,
    billingMode: mode,
  });
  expect(updated.status).toBe(200);
  if (grant) await api.post(`/v1/customers/${externalId}/wallet/grants`, { amount: grant, reason: "test" });
  return created.body.id as string;
}

beforeAll(async () => {
  server = await startTestServer();
  const merchant = await server.admin.merchants.create({ name: "Metering" });
  merchantId = merchant.id;
  api = jsonClient(server.url, merchant.apiKeys.test);
});
afterAll(async () => {
  await server.remove();
});

describe("usage ingest", () => {
  it("reports each event in input order: accepted, duplicate, rejected with a stable code", async () => {
    await customerOn(
      "m1",
      { prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.0002" }] },
      "prepaid",
      "10",
    );
    const repeated = event("m1", "tokens_output", "1000");
    const response = await api.post("/v1/usage-events", {
      events: [
        repeated,
        repeated,
        { ...repeated, quantity: "2000" },
        event("nobody", "tokens_output", "1"),
        event("m1", "no_such_metric", "1"),
        event("m1", "images", "1"),
        event("m1", "tokens_output", "1", { occurredAt: iso(Date.now() - 36 * 24 * 3600 * 1000) }),
        event("m1", "tokens_output", "1", { occurredAt: iso(Date.now() + 6 * 60 * 1000) }),
        event("m1", "tokens_output", "1.5"),
        event("m1", "tokens_output", "100000"),
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body.results.map((r: { status: string; code?: string }) => r.code ?? r.status)).toEqual([
      "accepted",
      "duplicate",
      "idempotency_key_reused",
      "customer_not_found",
      "metric_not_found",
      "price_not_found",
      "occurred_at_out_of_range",
      "occurred_at_out_of_range",
      "accepted",
      "insufficient_balance",
    ]);
    expect(response.body.results[0].amount).toBe("0.20");
    expect((await api.get("/v1/customers/m1/wallet")).body.balance).toBe("9.7997");
    const again = await api.post("/v1/usage-events", { events: [repeated, { ...repeated, quantity: "3" }] });
    expect(again.body.results.map((r: { status: string; code?: string }) => r.code ?? r.status)).toEqual([
      "duplicate",
      "idempotency_key_reused",
    ]);
  });

  it("answers a repeated event in one batch as its first copy was: refused alike, or a duplicate of its charge", async () => {
    await customerOn(
      "m1b",
      { prices: [{ metric: "images", pricing: "per_unit", unitAmount: "1.00" }] },
      "prepaid",
    );
    const refused = event("m1b", "images", "1");
    const first = await api.post("/v1/usage-events", { events: [refused, refused] });
    expect(first.body.results).toEqual([
      expect.objectContaining({ status: "rejected", code: "insufficient_balance" }),
      expect.objectContaining({
        idempotencyKey: refused.idempotencyKey,
        status: "rejected",
        code: "insufficient_balance",
      }),
    ]);
    const unassigned = event("nobody_assigned", "images", "1");
    await api.post("/v1/customers", { externalId: "nobody_assigned" });
    const second = await api.post("/v1/usage-events", { events: [unassigned, unassigned] });
    expect(second.body.results.map((r: { code?: string }) => r.code)).toEqual([
      "rate_card_not_assigned",
      "rate_card_not_assigned",
    ]);

    await api.post("/v1/customers/m1b/wallet/grants", { amount: "5", reason: "test" });
    const third = await api.post("/v1/usage-events", { events: [refused, refused] });
    expect(third.body.results).toEqual([
      { idempotencyKey: refused.idempotencyKey, status: "accepted", amount: "1.00", currency: "CNY" },
      { idempotencyKey: refused.idempotencyKey, status: "duplicate", amount: "1.00", currency: "CNY" },
    ]);
    const wallet = await api.get("/v1/customers/m1b/wallet");
    expect(wallet.body.balance).toBe("4.00");
  });

  it("takes times only with their offset: the event without one is rejected, the rest of its batch applies", async () => {
    await customerOn(
      "m1z",
      { prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.01" }] },
      "prepaid",
      "10",
    );
    // The same moment in Beijing's offset: accepted, and a duplicate of the UTC spelling.
    const now = Date.now() - 60_000;
    const beijing = new Date(now + 8 * 3_600_000).toISOString().replace("Z", "+08:00");
    const inUtc = event("m1z", "tokens_output", "1", { occurredAt: iso(now) });
    const response = await api.post("/v1/usage-events", {
      events: [
        inUtc,
        { ...inUtc, occurredAt: beijing },
        event("m1z", "tokens_output", "1", { occurredAt: iso(now).replace("Z", "") }),
        event("m1z", "tokens_output", "1", { occurredAt: iso(now).slice(0, 10) }),
        event("m1z", "tokens_output", "1", { occurredAt: String(now) }),
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body.results.map((r: { status: string; code?: string }) => r.code ?? r.status)).toEqual([
      "accepted",
      "duplicate",
      "invalid_request",
      "invalid_request",
      "invalid_request",
    ]);
    expect(response.body.results[2].message).toMatch(/RFC 3339 time with its offset/);
    expect((await api.get("/v1/customers/m1z/wallet")).body.balance).toBe("9.99");

    const summary = await api.get("/v1/customers/m1z/usage?from=2026-11-01");
    expect(summary.status).toBe(400);
    expect(summary.body.code).toBe("invalid_request");
    // As an event's occurredAt is refused: saying what form is wanted, not zod's "Invalid ISO datetime".
    expect(summary.body.detail).toMatch(/^from: must be an RFC 3339 time with its offset, e\.g\. /);
    const card = await api.post("/v1/rate-cards", {
      name: "local time",
      currency: "CNY",
      effectiveFrom: "2030-01-01T00:00:00",
      prices: [{ metric: "images", pricing: "per_unit", unitAmount: "1" }],
    });
    expect(card.status).toBe(400);
  });

  it("refuses an invalid rate card with its rating code and the field named once", async () => {
    const response = await api.post("/v1/rate-cards", {
      name: "bad tiers",
      currency: "CNY",
      prices: [
        {
          metric: "images",
          pricing: "graduated",
          tiers: [
            { upTo: "100", unitAmount: "1" },
            { upTo: "50", unitAmount: "1" },
            { upTo: null, unitAmount: "1" },
          ],
        },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "invalid_rate_card", ratingCode: "invalid_tiers" });
    expect(response.body.detail).toBe(
      "prices[0].tiers[1].upTo must be greater than the previous tier's upTo",
    );
  });

  it("prices tiers and allowances across events of a period", async () => {
    await customerOn(
      "m2",
      {
        prices: [
          {
            metric: "tokens_input",
            pricing: "graduated",
            tiers: [
              { upTo: "1000", unitAmount: "0.01" },
              { upTo: null, unitAmount: "0.001" },
            ],
          },
          {
            metric: "agent_runs",
            pricing: "per_unit",
            unitAmount: "0.50",
            freeAllowance: { quantity: "10", period: "month" },
          },
          {
            metric: "tokens_output",
            pricing: "package",
            packageSize: "1000",
            packageAmount: "0.30",
            rounding: "up",
          },
        ],
      },
      "prepaid",
      "100",
    );
    const results = await api.post("/v1/usage-events", {
      events: [
        event("m2", "tokens_input", "600"),
        event("m2", "tokens_input", "600"),
        event("m2", "agent_runs", "8"),
        event("m2", "agent_runs", "4"),
        event("m2", "tokens_output", "1"),
        event("m2", "tokens_output", "999"),
        event("m2", "tokens_output", "1"),
      ],
    });
    expect(results.body.results.map((r: { amount?: string }) => r.amount)).toEqual([
      "6.00",
      "4.20",
      "0.00",
      "1.00",
      "0.30",
      "0.00",
      "0.30",
    ]);
    const summary = await api.get("/v1/customers/m2/usage");
    expect(summary.body.allowances).toEqual([
      expect.objectContaining({ metric: "agent_runs", included: "10", used: "10", remaining: "0" }),
    ]);
    const runs = summary.body.groups.find((g: { metric: string }) => g.metric === "agent_runs");
    expect(runs).toMatchObject({ quantity: "12", freeQuantity: "10", amount: "1.00", events: 2 });
  });

  it("starts a month's free allowance at midnight in Beijing, not at midnight UTC", async () => {
    await customerOn(
      "m2b",
      {
        prices: [
          {
            metric: "agent_runs",
            pricing: "per_unit",
            unitAmount: "0.50",
            freeAllowance: { quantity: "10", period: "month" },
          },
        ],
      },
      "prepaid",
      "100",
    );
    // The latest Beijing month start: 16:00 UTC on the last day of a month (same UTC month either side).
    const beijingNow = new Date(Date.now() + 8 * 3_600_000);
    const monthStart = Date.UTC(beijingNow.getUTCFullYear(), beijingNow.getUTCMonth(), 1) - 8 * 3_600_000;
    const results = await api.post("/v1/usage-events", {
      events: [
        event("m2b", "agent_runs", "8", { occurredAt: iso(monthStart - 60_000) }),
        event("m2b", "agent_runs", "4", { occurredAt: iso(monthStart + 60_000) }),
        event("m2b", "agent_runs", "8", { occurredAt: iso(monthStart + 120_000) }),
      ],
    });
    // 8 of last month's 10; then 4 and 8 of this month's 10, the last 2 over.
    expect(results.body.results.map((r: { amount?: string }) => r.amount)).toEqual(["0.00", "0.00", "1.00"]);
    const summary = await api.get("/v1/customers/m2b/usage");
    expect(summary.body.from).toBe(iso(monthStart));
    expect(summary.body.allowances).toEqual([
      expect.objectContaining({ periodStart: iso(monthStart), used: "10", remaining: "0" }),
    ]);
  });

  it("counts a free allowance once on a test clock months behind the ledger", async () => {
    const beijingNow = new Date(Date.now() + 8 * 3_600_000);
    const monthStart = Date.UTC(beijingNow.getUTCFullYear(), beijingNow.getUTCMonth() - 4, 1) - 8 * 3_600_000;
    const clock = await api.post("/v1/test-clocks", { frozenTime: iso(monthStart + 10 * 86_400_000) });
    await api.post("/v1/customers", { externalId: "m2f", testClockId: clock.body.id });
    const card = await api.post("/v1/rate-cards", {
      name: "card m2f",
      currency: "CNY",
      prices: [
        {
          metric: "agent_runs",
          pricing: "per_unit",
          unitAmount: "0.50",
          freeAllowance: { quantity: "10", period: "month" },
        },
        { metric: "images", pricing: "per_unit", unitAmount: "0.20" },
      ],
    });
    await api.patch("/v1/customers/m2f", { rateCardId: card.body.id, billingMode: "postpaid" });
    const amounts: string[] = [];
    for (const [day, metric, quantity] of [
      [2, "agent_runs", "8"],
      [3, "images", "1"],
      [4, "agent_runs", "8"],
    ] as const) {
      const response = await api.post("/v1/usage-events", {
        events: [event("m2f", metric, quantity, { occurredAt: iso(monthStart + day * 86_400_000) })],
      });
      amounts.push(response.body.results[0].amount);
    }
    // 8 of the month's 10 free; an image; then the last 2 free and 6 × 0.50.
    expect(amounts).toEqual(["0.00", "0.20", "3.00"]);
  });

  it("sums quantities exactly, to all 24 digits a quantity may have", async () => {
    await customerOn(
      "m2e",
      { prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.000001" }] },
      "postpaid",
    );
    const big = "123456789012345.123456789";
    const results = await api.post("/v1/usage-events", {
      events: [event("m2e", "images", big), event("m2e", "images", big)],
    });
    expect(results.body.results.map((r: { status: string }) => r.status)).toEqual(["accepted", "accepted"]);
    const summary = await api.get("/v1/customers/m2e/usage");
    expect(summary.body.groups).toEqual([
      expect.objectContaining({ metric: "images", quantity: "246913578024690.246913578", events: 2 }),
    ]);
  });

  it("reads a wallet's usage only as far back as the period, and decodes each batch once", async () => {
    await customerOn(
      "m2d",
      { prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.20" }] },
      "prepaid",
      "100",
    );
    for (let i = 0; i < 3; i++) await api.post("/v1/usage-events", { events: [event("m2d", "images", "1")] });
    const log = server.runtime.log;
    const customer = await server.runtime.customers.find("test", merchantId, "m2d");
    const walletSeqs = await log.entitySeqs(`wallet:${customer?.id ?? ""}`);
    expect(walletSeqs).toHaveLength(4); // the grant and three usage batches
    const [grantSeq] = walletSeqs;
    const decoded = vi.spyOn(log, "getRecord");
    const decodedSeqs = () =>
      decoded.mock.calls.map(([seq]) => seq).filter((seq) => walletSeqs.includes(seq));
    // Counts the index entries read.
    const entries = log.entityEntries.bind(log);
    let entriesRead = 0;
    const counted = vi.spyOn(log, "entityEntries").mockImplementation(async function* (entity, options) {
      for await (const entry of entries(entity, options)) {
        if (entity.startsWith("wallet:")) entriesRead += 1;
        yield entry;
      }
    });
    try {
      // A period starting later than every batch by more than the 5-minute future tolerance: the
      // newest batch shows that nothing older can matter.
      const later = Date.now() + 10 * 60_000;
      const empty = await api.get(`/v1/customers/m2d/usage?from=${iso(later)}&to=${iso(later + 60_000)}`);
      expect(empty.body.groups).toEqual([]);
      expect(entriesRead).toBe(1);
      expect(decodedSeqs()).toEqual([walletSeqs[3]]);

      const hourly = () => api.get(`/v1/customers/m2d/usage?from=${iso(Date.now() - 3_600_000)}`);
      const threeImages = [
        expect.objectContaining({ metric: "images", quantity: "3", amount: "0.60", events: 3 }),
      ];
      entriesRead = 0;
      decoded.mockClear();
      expect((await hourly()).body.groups).toEqual(threeImages);
      expect(entriesRead).toBe(4);
      // The newest batch's share was kept by the first read.
      expect(decodedSeqs().sort()).toEqual([grantSeq, walletSeqs[1], walletSeqs[2]].sort());

      // Every batch's share is kept now: only the wallet's own grant is read again.
      decoded.mockClear();
      expect((await hourly()).body.groups).toEqual(threeImages);
      const history = await api.get("/v1/customers/m2d/wallet/transactions");
      expect(history.body.data.map((t: { type: string; amount: string }) => [t.type, t.amount])).toEqual([
        ["usage", "0.20"],
        ["usage", "0.20"],
        ["usage", "0.20"],
        ["grant", "100.00"],
      ]);
      expect(decodedSeqs()).toEqual([grantSeq, grantSeq]);
    } finally {
      decoded.mockRestore();
      counted.mockRestore();
    }
  });

  it("sums a test-clock customer's usage and allowance in the clock's month, not today's", async () => {
    // A clock mid-month, two months back (so neither its month nor the 35-day window reaches today).
    const beijingNow = new Date(Date.now() + 8 * 3_600_000);
    const clockMonthStart =
      Date.UTC(beijingNow.getUTCFullYear(), beijingNow.getUTCMonth() - 2, 1) - 8 * 3_600_000;
    const frozenTime = clockMonthStart + 14 * 86_400_000;
    const clock = await api.post("/v1/test-clocks", { frozenTime: iso(frozenTime) });
    expect(clock.status).toBe(201);
    await api.post("/v1/customers", { externalId: "m2c", testClockId: clock.body.id });
    const card = await api.post("/v1/rate-cards", {
      name: "card m2c",
      currency: "CNY",
      effectiveFrom: iso(clockMonthStart - 86_400_000),
      prices: [
        {
          metric: "agent_runs",
          pricing: "per_unit",
          unitAmount: "0.50",
          freeAllowance: { quantity: "10", period: "month" },
        },
      ],
    });
    expect(card.status).toBe(201);
    await api.patch("/v1/customers/m2c", { rateCardId: card.body.id, billingMode: "postpaid" });
    const results = await api.post("/v1/usage-events", {
      events: [event("m2c", "agent_runs", "3", { occurredAt: iso(frozenTime - 60_000) })],
    });
    expect(results.body.results[0]).toMatchObject({ status: "accepted" });

    const summary = await api.get("/v1/customers/m2c/usage");
    expect(summary.status).toBe(200);
    expect(summary.body.from).toBe(iso(clockMonthStart));
    // Just past 5 minutes after the clock: events it accepted ahead of its time count too.
    expect(summary.body.to).toBe(iso(frozenTime + 5 * 60_000 + 1));
    expect(summary.body.groups).toEqual([expect.objectContaining({ metric: "agent_runs", quantity: "3" })]);
    expect(summary.body.allowances).toEqual([
      expect.objectContaining({ periodStart: iso(clockMonthStart), used: "3", remaining: "7" }),
    ]);
  });

  it("prices an event by the version in effect when it occurred, and keeps old versions unchanged", async () => {
    const cardId = await customerOn(
      "m3",
      { prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.20" }] },
      "prepaid",
      "100",
    );
    const effectiveFrom = Date.now() + 500;
    const published = await api.post(`/v1/rate-cards/${cardId}/versions`, {
      currency: "CNY",
      effectiveFrom: iso(effectiveFrom),
      prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.25" }],
    });
    expect(published.status).toBe(201);
    expect(published.body.latestVersion).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const results = await api.post("/v1/usage-events", {
      events: [
        event("m3", "images", "1", { occurredAt: iso(effectiveFrom - 100) }),
        event("m3", "images", "1", { occurredAt: iso(effectiveFrom + 100) }),
      ],
    });
    expect(results.body.results.map((r: { amount?: string }) => r.amount)).toEqual(["0.20", "0.25"]);
    const versions = await api.get(`/v1/rate-cards/${cardId}/versions`);
    expect(
      versions.body.data.map((v: { version: number; prices: Array<{ unitAmount: string }> }) => [
        v.version,
        v.prices[0]?.unitAmount,
      ]),
    ).toEqual([
      [1, "0.20"],
      [2, "0.25"],
    ]);
    const past = await api.post(`/v1/rate-cards/${cardId}/versions`, {
      currency: "CNY",
      effectiveFrom: iso(Date.now() - 60_000),
      prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.10" }],
    });
    expect(past.body.code).toBe("effective_from_in_past");
  });

  it("lets a card allow a negative prepaid wallet down to its limit, and no further", async () => {
    await customerOn(
      "m4",
      {
        prices: [{ metric: "images", pricing: "per_unit", unitAmount: "1.00" }],
        insufficientBalance: { mode: "allow_negative", limit: "2.50" },
      },
      "prepaid",
      "1",
    );
    const results = await api.post("/v1/usage-events", {
      events: [event("m4", "images", "1"), event("m4", "images", "2"), event("m4", "images", "1")],
    });
    expect(results.body.results.map((r: { status: string; code?: string }) => r.code ?? r.status)).toEqual([
      "accepted",
      "accepted",
      "insufficient_balance",
    ]);
    expect((await api.get("/v1/customers/m4/wallet")).body.balance).toBe("-2.00");
    // The limit is an amount like any other: at most ¥1,000,000,000.
    const unbounded = await api.post("/v1/rate-cards", {
      name: "unbounded",
      currency: "CNY",
      prices: [{ metric: "images", pricing: "per_unit", unitAmount: "1.00" }],
      insufficientBalance: { mode: "allow_negative", limit: "999999999999999.999999" },
    });
    expect(unbounded.status).toBe(400);
    expect(unbounded.body.code).toBe("invalid_amount");
  });

  it("charges volume pricing event by event as the change in the period's total: a cheaper tier reached credits back", async () => {
    const card = {
      prices: [
        {
          metric: "storage_gb_hours",
          pricing: "volume",
          tiers: [
            { upTo: "100", unitAmount: "1.00" },
            { upTo: null, unitAmount: "0.50" },
          ],
        },
      ],
    };
    await customerOn("vol_pre", card, "prepaid", "200");
    await customerOn("vol_post", card, "postpaid");
    for (const customer of ["vol_pre", "vol_post"]) {
      const first = await api.post("/v1/usage-events", {
        events: [event(customer, "storage_gb_hours", "100")],
      });
      expect(first.body.results[0]).toMatchObject({ status: "accepted", amount: "100.00" });
      // 101 units are all at 0.50: the period is due 50.50, so this event credits 49.50.
      const second = await api.post("/v1/usage-events", {
        events: [event(customer, "storage_gb_hours", "1")],
      });
      expect(second.body.results[0]).toMatchObject({ status: "accepted", amount: "-49.50" });
      const summary = await api.get(`/v1/customers/${customer}/usage`);
      expect(summary.body.groups).toEqual([
        expect.objectContaining({ metric: "storage_gb_hours", quantity: "101", amount: "50.50", events: 2 }),
      ]);
    }
    expect((await api.get("/v1/customers/vol_pre/wallet")).body).toMatchObject({ balance: "149.50" });
    const [credit] = (await api.get("/v1/customers/vol_pre/wallet/transactions")).body.data;
    expect(credit).toMatchObject({ type: "usage", amount: "-49.50", balanceAfter: "149.50" });
    expect(credit.charges).toEqual([expect.objectContaining({ quantity: "1", amount: "-49.50" })]);
  });

  it("assigns only CNY rate cards, prepaid or postpaid, and keeps a card's versions in its currency", async () => {
    await api.post("/v1/customers", { externalId: "m5" });
    const usd = await api.post("/v1/rate-cards", {
      name: "USD card",
      currency: "USD",
      prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.00001" }],
    });
    for (const billingMode of ["prepaid", "postpaid"]) {
      const refused = await api.patch("/v1/customers/m5", { rateCardId: usd.body.id, billingMode });
      expect(refused.status, billingMode).toBe(409);
      expect(refused.body.code, billingMode).toBe("currency_mismatch");
    }
    expect((await api.get("/v1/customers/m5")).body.rateCardId ?? null).toBeNull();
    const cny = await api.post("/v1/rate-cards", {
      name: "CNY card",
      currency: "CNY",
      prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.00001" }],
    });
    const switched = await api.post(`/v1/rate-cards/${cny.body.id}/versions`, {
      currency: "USD",
      prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.00001" }],
    });
    expect(switched.status).toBe(409);
    expect(switched.body.code).toBe("currency_mismatch");
    expect((await api.get(`/v1/rate-cards/${cny.body.id}/versions`)).body.data).toHaveLength(1);
    // Postpaid usage accrues in CNY without touching the wallet.
    expect(
      (await api.patch("/v1/customers/m5", { rateCardId: cny.body.id, billingMode: "postpaid" })).status,
    ).toBe(200);
    const results = await api.post("/v1/usage-events", { events: [event("m5", "tokens_output", "250000")] });
    expect(results.body.results[0]).toMatchObject({ status: "accepted", amount: "2.50", currency: "CNY" });
    expect((await api.get("/v1/customers/m5/wallet")).body.balance).toBe("0.00");
    const history = await api.get("/v1/customers/m5/wallet/transactions");
    expect(history.body.data[0]).toMatchObject({ type: "usage_accrual", amount: "2.50" });
  });

  it("reads groupBy comma-separated or repeated; an empty customer update records nothing", async () => {
    await customerOn(
      "m8",
      { prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.10" }] },
      "prepaid",
      "5",
    );
    await api.post("/v1/usage-events", {
      events: [
        event("m8", "images", "1", { dimensions: { model: "flux", region: "cn-east" } }),
        event("m8", "images", "2", { dimensions: { model: "flux", region: "cn-north" } }),
      ],
    });
    const comma = await api.get("/v1/customers/m8/usage?groupBy=model,region");
    const repeated = await api.get("/v1/customers/m8/usage?groupBy=model&groupBy=region");
    expect(repeated.status).toBe(200);
    expect(repeated.body.groups).toEqual(comma.body.groups);
    expect(comma.body.groups).toHaveLength(2);
    const head = server.runtime.log.durableHead;
    const unchanged = await api.patch("/v1/customers/m8", {});
    expect(unchanged.status).toBe(200);
    expect(unchanged.body).toMatchObject({ externalId: "m8", billingMode: "prepaid" });
    expect(server.runtime.log.durableHead).toBe(head);
    const tooLong = await api.post("/v1/usage-events", { events: [event("m8", "images", "1".repeat(16))] });
    expect(tooLong.body.results[0]).toMatchObject({
      code: "invalid_quantity",
      message: expect.stringContaining("at most 15 digits before the point and 9 after it"),
    });
  });

  it("accepts custom metrics and dimensions, and groups usage by a dimension", async () => {
    // A card may price only metrics that exist: a misspelt one would price nothing.
    const misspelt = await api.post("/v1/rate-cards", {
      name: "typo",
      currency: "CNY",
      prices: [{ metric: "video_seconds", pricing: "per_unit", unitAmount: "0.01" }],
    });
    expect(misspelt.status).toBe(404);
    expect(misspelt.body.code).toBe("metric_not_found");
    expect(
      (await api.post("/v1/metrics", { key: "video_seconds", name: "Video", unit: "second" })).status,
    ).toBe(201);
    expect((await api.post("/v1/metrics", { key: "images", name: "dup" })).body.code).toBe("metric_exists");
    await customerOn(
      "m6",
      {
        prices: [
          { metric: "video_seconds", pricing: "per_unit", unitAmount: "0.01" },
          { metric: "video_seconds", pricing: "per_unit", unitAmount: "0.05", dimensions: { tier: "hd" } },
        ],
      },
      "prepaid",
      "100",
    );
    const results = await api.post("/v1/usage-events", {
      events: [
        event("m6", "video_seconds", "10", { dimensions: { tier: "sd", region: "cn-east" } }),
        event("m6", "video_seconds", "10", { dimensions: { tier: "hd", region: "cn-east" } }),
      ],
    });
    expect(results.body.results.map((r: { amount?: string }) => r.amount)).toEqual(["0.10", "0.50"]);
    const summary = await api.get("/v1/customers/m6/usage?groupBy=tier");
    expect(
      summary.body.groups.map((g: { dimensions: unknown; amount: string }) => [g.dimensions, g.amount]),
    ).toEqual([
      [{ tier: "sd" }, "0.10"],
      [{ tier: "hd" }, "0.50"],
    ]);
  });

  it("rejects an event whose dimensions are out of bounds, alone, and applies the rest of the batch", async () => {
    await customerOn(
      "m1d",
      { prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.01" }] },
      "prepaid",
      "10",
    );
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"]));
    const response = await api.post("/v1/usage-events", {
      events: [
        event("m1d", "tokens_output", "1", { dimensions: eleven }),
        event("m1d", "tokens_output", "1", { dimensions: { model: "x".repeat(101) } }),
        event("m1d", "tokens_output", "1", { dimensions: { "bad key": "v" } }),
        event("m1d", "tokens_output", "1", { dimensions: { "": "v" } }),
        event("m1d", "tokens_output", "1", { dimensions: { model: "x".repeat(100), ...{ "a.b-c_9": "v" } } }),
      ],
    });
    expect(response.status).toBe(200);
    const results = response.body.results as Array<{ status: string; code?: string; message?: string }>;
    expect(results.map((r) => r.code ?? r.status)).toEqual([
      "invalid_dimensions",
      "invalid_dimensions",
      "invalid_dimensions",
      "invalid_dimensions",
      "accepted",
    ]);
    expect(results[0]?.message).toMatch(/at most 10 dimensions, not 11/);
    expect(results[1]?.message).toMatch(/dimension model must be at most 100 characters/);
    expect(results[2]?.message).toMatch(/dimension key "bad key"/);
    expect((await api.get("/v1/customers/m1d/wallet")).body.balance).toBe("9.99");
    // An item the API cannot read as an event (a field of the wrong type or length, an unknown
    // field) is rejected alone too, invalid_event naming the field; the rest of the batch applies.
    const items = [
      event("m1d", "tokens_output", "1", { dimensions: { model: 5 } }),
      { ...event("m1d", "tokens_output", "1"), quantity: 5 },
      event("m1d", "tokens_output", "1".repeat(41)),
      event("m1d", "", "1"),
      event("m1d", "tokens_output", "1", { idempotencyKey: "" }),
      event("m1d", "tokens_output", "1", { colour: "blue" }),
      "not an event",
      event("m1d", "tokens_output", "1"),
    ];
    const shape = await api.post("/v1/usage-events", { events: items }, { "Idempotency-Key": "lenient-1" });
    expect(shape.status).toBe(200);
    const shaped = shape.body.results as Array<{
      idempotencyKey: string;
      status: string;
      code?: string;
      message?: string;
    }>;
    expect(shaped.map((r) => r.code ?? r.status)).toEqual([...Array(7).fill("invalid_event"), "accepted"]);
    expect(shaped[0]).toMatchObject({
      idempotencyKey: (items[0] as { idempotencyKey: string }).idempotencyKey,
      message: expect.stringMatching(/^dimensions\.model: /),
    });
    expect(shaped[1]?.message).toMatch(/^quantity: /);
    expect(shaped[5]?.message).toMatch(/colour/);
    expect(shaped[6]).toMatchObject({ idempotencyKey: "" });
    expect((await api.get("/v1/customers/m1d/wallet")).body.balance).toBe("9.98");
    // Retried with its key, the batch answers the same, invalid items in their places.
    const again = await api.post("/v1/usage-events", { events: items }, { "Idempotency-Key": "lenient-1" });
    expect(again.body).toEqual(shape.body);
    expect((await api.get("/v1/customers/m1d/wallet")).body.balance).toBe("9.98");
    // The batch itself must still be a batch.
    expect((await api.post("/v1/usage-events", { events: [] })).status).toBe(400);
    expect((await api.post("/v1/usage-events", { events: items[7], extra: 1 })).status).toBe(400);
    // A price's dimension filter has the same bounds, and the same words.
    const card = await api.post("/v1/rate-cards", {
      name: "eleven",
      currency: "CNY",
      prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "1", dimensions: eleven }],
    });
    expect(card.status).toBe(400);
    expect(card.body.detail).toMatch(/at most 10 dimensions, not 11/);
  });

  it("records every rate card create, publish and assignment in the audit log: who, when, what", async () => {
    const log = await api.get("/v1/audit-log?limit=100");
    const actions = log.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "rate_card.created",
        "rate_card.version_published",
        "customer.updated",
        "metric.created",
      ]),
    );
    const entry = log.body.data.find((e: { action: string }) => e.action === "rate_card.version_published");
    expect(entry.by).toMatchObject({ kind: "api_key", env: "test" });
    expect(entry.details.version.version).toBe(2);
    // The version reads as the rate card API shows it: times in RFC 3339, not epoch milliseconds.
    const card = await api.get(`/v1/rate-cards/${entry.details.rateCardId as string}`);
    expect(entry.details.version).toEqual(card.body.versions[1]);
    expect(entry.details.version.effectiveFrom).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(Date.parse(entry.at)).toBeGreaterThan(0);
  });

  it("refuses a batch over 500 events whole, with nothing applied", async () => {
    const events = Array.from({ length: 501 }, () => event("m1", "tokens_output", "1"));
    const response = await api.post("/v1/usage-events", { events });
    expect(response.status).toBe(400);
  });
});

describe("request idempotency on ingest", () => {
  it("counts events sent up to 5 minutes ahead in the default usage summary, as its allowances do", async () => {
    await customerOn(
      "m10",
      { prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.10" }] },
      "prepaid",
      "5",
    );
    const ahead = iso(Date.now() + 4 * 60_000);
    const sent = await api.post("/v1/usage-events", {
      events: [event("m10", "images", "1"), event("m10", "images", "2", { occurredAt: ahead })],
    });
    expect(sent.body.results.map((r: { status: string }) => r.status)).toEqual(["accepted", "accepted"]);
    const summary = await api.get("/v1/customers/m10/usage");
    expect(summary.body.groups).toEqual([
      expect.objectContaining({ metric: "images", quantity: "3", events: 2 }),
    ]);
    expect(Date.parse(summary.body.to)).toBeGreaterThan(Date.parse(ahead));
  });

  it("a retried ingest request with the same Idempotency-Key gets the first response back", async () => {
    await customerOn(
      "m7",
      { prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.50" }] },
      "prepaid",
      "10",
    );
    const body = { events: [event("m7", "images", "1"), event("m7", "images", "2")] };
    const first = await api.post("/v1/usage-events", body, { "Idempotency-Key": "ingest-retry-1" });
    const again = await api.post("/v1/usage-events", body, { "Idempotency-Key": "ingest-retry-1" });
    expect(first.body.results.map((r: { status: string }) => r.status)).toEqual(["accepted", "accepted"]);
    expect(again.body).toEqual(first.body);
    const withoutKey = await api.post("/v1/usage-events", body);
    // Sent again without the request key, each event is a duplicate that says what it was charged.
    expect(withoutKey.body.results).toEqual([
      {
        idempotencyKey: body.events[0]!.idempotencyKey,
        status: "duplicate",
        amount: "0.50",
        currency: "CNY",
      },
      {
        idempotencyKey: body.events[1]!.idempotencyKey,
        status: "duplicate",
        amount: "1.00",
        currency: "CNY",
      },
    ]);
    expect((await api.get("/v1/customers/m7/wallet")).body.balance).toBe("8.50");
  });
});
