import { describe, expect, it } from "vitest";
import BuffMoneyClient, {
  type AuditEntry,
  type Customer,
  type Metric,
  type RateCard,
  type UsageEventParams,
  type UsageIngestResult,
  type UsageSummary,
} from "@buffmoney/sdk";
import { json, scriptedServer } from "./support/scriptedServer.js";

function clientFor(baseUrl: string): BuffMoneyClient {
  return new BuffMoneyClient({ apiKey: "bm_test_abc123", baseUrl, retryDelayMsBase: 1 });
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ingested: UsageIngestResult = {
  object: "list",
  results: [{ idempotencyKey: "evt_1", status: "accepted", amount: "2.50", currency: "CNY" }],
};

const rateCard: RateCard = {
  id: "rc_1",
  object: "rate_card",
  name: "Tokens",
  environment: "test",
  createdAt: "2026-01-01T00:00:00.000Z",
  latestVersion: 1,
  versions: [
    {
      version: 1,
      currency: "CNY",
      effectiveFrom: "2026-01-01T00:00:00.000Z",
      publishedAt: "2026-01-01T00:00:00.000Z",
      prices: [{ metric: "tokens_output", pricing: "per_unit", unitAmount: "0.0002" }],
      insufficientBalance: { mode: "reject" },
    },
  ],
};

const customer: Customer = {
  id: "cus_1",
  object: "customer",
  externalId: "user_42",
  name: null,
  email: null,
  environment: "test",
  rateCardId: "rc_1",
  billingMode: "prepaid",
  createdAt: "2026-01-01T00:00:00.000Z",
};

function usageEvent(n: number): UsageEventParams {
  return {
    customerExternalId: "user_42",
    idempotencyKey: `evt_${n}`,
    metric: "tokens_output",
    quantity: "12500",
    occurredAt: "2026-03-01T10:00:00.000Z",
  };
}

describe("usageEvents.ingest", () => {
  it("posts the events array as { events } with a generated idempotency key", async () => {
    const server = await scriptedServer(json(200, ingested));

    const result = await clientFor(server.baseUrl).usageEvents.ingest([
      { ...usageEvent(1), dimensions: { model: "deepseek-r1" } },
    ]);

    expect(result).toEqual(ingested);
    const [request] = server.received;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/v1/usage-events");
    expect(request?.headers["idempotency-key"]).toMatch(uuidPattern);
    expect(request?.body).toEqual({ events: [{ ...usageEvent(1), dimensions: { model: "deepseek-r1" } }] });
  });

  it("sends a Date occurredAt as its ISO 8601 string and leaves strings as given", async () => {
    const server = await scriptedServer(json(200, ingested));

    await clientFor(server.baseUrl).usageEvents.ingest([
      { ...usageEvent(1), occurredAt: new Date(Date.UTC(2026, 2, 1, 10, 30)) },
      { ...usageEvent(2), occurredAt: "2026-03-01T10:31:00+08:00" },
    ]);

    const body = server.received[0]?.body as { events: Array<{ occurredAt: string }> };
    expect(body.events.map((event) => event.occurredAt)).toEqual([
      "2026-03-01T10:30:00.000Z",
      "2026-03-01T10:31:00+08:00",
    ]);
  });

  it("uses the caller's idempotency key for the request", async () => {
    const server = await scriptedServer(json(200, ingested));

    await clientFor(server.baseUrl).usageEvents.ingest([usageEvent(1)], { idempotencyKey: "batch-7" });

    expect(server.received[0]?.headers["idempotency-key"]).toBe("batch-7");
  });

  it("rejects an empty batch or one over 500 events before sending anything", async () => {
    const server = await scriptedServer();
    const client = clientFor(server.baseUrl);
    const tooMany = Array.from({ length: 501 }, (_, n) => usageEvent(n));

    await expect(client.usageEvents.ingest([])).rejects.toThrow(TypeError);
    await expect(client.usageEvents.ingest(tooMany)).rejects.toThrow(/1 to 500 events per call, got 501/);
    expect(server.received).toHaveLength(0);
  });

  it("accepts exactly 500 events", async () => {
    const server = await scriptedServer(json(200, { object: "list", results: [] }));
    const batch = Array.from({ length: 500 }, (_, n) => usageEvent(n));

    await clientFor(server.baseUrl).usageEvents.ingest(batch);

    expect((server.received[0]?.body as { events: unknown[] }).events).toHaveLength(500);
  });

  it("rejects an invalid Date before sending anything", async () => {
    const server = await scriptedServer();

    const ingest = clientFor(server.baseUrl).usageEvents.ingest([
      { ...usageEvent(1), occurredAt: new Date(Number.NaN) },
    ]);

    await expect(ingest).rejects.toThrow(/Invalid Date/);
    expect(server.received).toHaveLength(0);
  });
});

describe("rateCards", () => {
  it("creates a card with tiered prices and a Date effectiveFrom sent as ISO", async () => {
    const server = await scriptedServer(json(201, rateCard));

    const created = await clientFor(server.baseUrl).rateCards.create({
      name: "Tokens",
      currency: "CNY",
      effectiveFrom: new Date(Date.UTC(2026, 3, 1)),
      insufficientBalance: { mode: "allow_negative", limit: "50.00" },
      prices: [
        {
          metric: "tokens_output",
          pricing: "graduated",
          dimensions: { model: "deepseek-r1" },
          freeAllowance: { quantity: "10000", period: "month" },
          tiers: [
            { upTo: "1000000", unitAmount: "0.0002" },
            { upTo: null, unitAmount: "0.0001", flatAmount: "5.00" },
          ],
        },
        { metric: "images", pricing: "package", packageSize: "10", packageAmount: "1.00", rounding: "down" },
      ],
    });

    expect(created).toEqual(rateCard);
    const [request] = server.received;
    expect([request?.method, request?.url]).toEqual(["POST", "/v1/rate-cards"]);
    expect(request?.headers["idempotency-key"]).toMatch(uuidPattern);
    expect(request?.body).toMatchObject({
      name: "Tokens",
      currency: "CNY",
      effectiveFrom: "2026-04-01T00:00:00.000Z",
      insufficientBalance: { mode: "allow_negative", limit: "50.00" },
    });
    expect((request?.body as { prices: unknown[] }).prices).toHaveLength(2);
  });

  it("omits effectiveFrom when not given", async () => {
    const server = await scriptedServer(json(201, rateCard));

    await clientFor(server.baseUrl).rateCards.publishVersion(
      "rc_1",
      { currency: "CNY", prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.10" }] },
      { idempotencyKey: "publish-2" },
    );

    const [request] = server.received;
    expect([request?.method, request?.url]).toEqual(["POST", "/v1/rate-cards/rc_1/versions"]);
    expect(request?.headers["idempotency-key"]).toBe("publish-2");
    expect(request?.body).toEqual({
      currency: "CNY",
      prices: [{ metric: "images", pricing: "per_unit", unitAmount: "0.10" }],
    });
  });

  it("retrieves a card and lists its versions by encoded id", async () => {
    const versions = { object: "list", data: rateCard.versions };
    const server = await scriptedServer(json(200, rateCard), json(200, versions));
    const client = clientFor(server.baseUrl);

    expect(await client.rateCards.retrieve("rc/1")).toEqual(rateCard);
    expect(await client.rateCards.listVersions("rc/1")).toEqual(versions);
    expect(server.received.map((request) => [request.method, request.url])).toEqual([
      ["GET", "/v1/rate-cards/rc%2F1"],
      ["GET", "/v1/rate-cards/rc%2F1/versions"],
    ]);
  });
});

describe("customers.update", () => {
  it("PATCHes only the given fields and carries an idempotency key", async () => {
    const server = await scriptedServer(json(200, customer), json(200, customer));
    const client = clientFor(server.baseUrl);

    const updated = await client.customers.update("user_42", { rateCardId: "rc_1", billingMode: "prepaid" });
    await client.customers.update("user_42", { name: null }, { idempotencyKey: "assign-1" });

    expect(updated).toEqual(customer);
    const [first, second] = server.received;
    expect([first?.method, first?.url]).toEqual(["PATCH", "/v1/customers/user_42"]);
    expect(first?.headers["idempotency-key"]).toMatch(uuidPattern);
    expect(first?.body).toEqual({ rateCardId: "rc_1", billingMode: "prepaid" });
    expect(second?.headers["idempotency-key"]).toBe("assign-1");
    expect(second?.body).toEqual({ name: null });
  });
});

describe("usage.summary", () => {
  const summary: UsageSummary = {
    object: "usage_summary",
    customerExternalId: "user_42",
    from: "2026-03-01T00:00:00.000Z",
    to: "2026-04-01T00:00:00.000Z",
    groups: [],
    allowances: [],
  };

  it("builds from, to and a comma-separated groupBy", async () => {
    const server = await scriptedServer(json(200, summary));

    const result = await clientFor(server.baseUrl).usage.summary("user 42", {
      from: new Date(Date.UTC(2026, 2, 1)),
      to: "2026-04-01T00:00:00.000Z",
      groupBy: ["model", "region"],
    });

    expect(result).toEqual(summary);
    const url = new URL(server.received[0]?.url ?? "", "http://x");
    expect([server.received[0]?.method, url.pathname]).toEqual(["GET", "/v1/customers/user%2042/usage"]);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      from: "2026-03-01T00:00:00.000Z",
      to: "2026-04-01T00:00:00.000Z",
      groupBy: "model,region",
    });
    expect(server.received[0]?.headers["idempotency-key"]).toBeUndefined();
  });

  it("sends no query for the defaults or an empty groupBy", async () => {
    const server = await scriptedServer(json(200, summary), json(200, summary));
    const client = clientFor(server.baseUrl);

    await client.usage.summary("user_42");
    await client.usage.summary("user_42", { groupBy: [] });

    expect(server.received.map((request) => request.url)).toEqual([
      "/v1/customers/user_42/usage",
      "/v1/customers/user_42/usage",
    ]);
  });

  it("rejects a groupBy key holding a comma", async () => {
    const server = await scriptedServer();

    await expect(
      clientFor(server.baseUrl).usage.summary("user_42", { groupBy: ["model,region"] }),
    ).rejects.toThrow(TypeError);
    expect(server.received).toHaveLength(0);
  });
});

describe("metrics", () => {
  it("creates a custom metric and lists all metrics", async () => {
    const gpu: Metric = { object: "metric", key: "gpu_seconds", name: "GPU", unit: "second", builtIn: false };
    const server = await scriptedServer(json(201, gpu), json(200, { object: "list", data: [gpu] }));
    const client = clientFor(server.baseUrl);

    expect(await client.metrics.create({ key: "gpu_seconds", name: "GPU", unit: "second" })).toEqual(gpu);
    expect((await client.metrics.list()).data).toEqual([gpu]);
    const [create, list] = server.received;
    expect([create?.method, create?.url, create?.body]).toEqual([
      "POST",
      "/v1/metrics",
      { key: "gpu_seconds", name: "GPU", unit: "second" },
    ]);
    expect(create?.headers["idempotency-key"]).toMatch(uuidPattern);
    expect([list?.method, list?.url]).toEqual(["GET", "/v1/metrics"]);
  });
});

describe("auditLog.list", () => {
  it("pages with limit and startingAfter", async () => {
    const entry: AuditEntry = {
      object: "audit_entry",
      sequence: 9,
      at: "2026-03-01T00:00:00.000Z",
      action: "rate_card.created",
      entity: "rate_card:rc_1",
      by: { kind: "api_key", env: "test", keyId: "key_1" },
      details: { rateCardId: "rc_1" },
    };
    const page = { object: "list", data: [entry], hasMore: true, nextCursor: "9" };
    const server = await scriptedServer(json(200, page), json(200, { ...page, hasMore: false }));
    const client = clientFor(server.baseUrl);

    expect(await client.auditLog.list({ limit: 1 })).toEqual(page);
    await client.auditLog.list({ limit: 1, startingAfter: "9" });

    expect(server.received.map((request) => [request.method, request.url])).toEqual([
      ["GET", "/v1/audit-log?limit=1"],
      ["GET", "/v1/audit-log?limit=1&startingAfter=9"],
    ]);
  });
});
