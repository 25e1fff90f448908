import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestClock } from "../actors/index.js";
import { DomainError } from "../domain/errors.js";
import { limits } from "../domain/limits.js";
import { jsonClient } from "./support/http.js";
import { openRuntime } from "./support/runtimeFixture.js";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/** Tests read bodies freely; each test asserts the shapes it relies on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let keys: { test: string; live: string };
let merchantId: string;
let api: ReturnType<typeof jsonClient>;

beforeAll(async () => {
  dir = await tempDir();
  server = await startTestServer({ dataDir: dir.path, startTimers: false });
  const merchant = await server.admin.merchants.create({ name: "Clocks" });
  keys = merchant.apiKeys;
  merchantId = merchant.id;
  api = jsonClient(server.url, keys.test);
});
afterEach(() => {
  server.runtime.testClocks.setAdvancer(undefined);
});
afterAll(async () => {
  await server.stop();
  await dir.remove();
});

async function ok(call: Promise<{ status: number; body: Json }>, status = 201): Promise<Json> {
  const response = await call;
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  return response.body;
}

async function refused(call: Promise<{ status: number; body: Json }>, status: number, code: string) {
  const response = await call;
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.code).toBe(code);
  return response.body;
}

const start = "2026-01-31T00:00:00.000Z";
const day = 24 * 3600 * 1000;
const isoPlus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const newClock = (name?: string) => ok(api.post("/v1/test-clocks", { frozenTime: start, name }));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("test clocks", () => {
  it("creates a clock at a frozen time and retrieves it", async () => {
    const clock = await newClock("January renewals");
    expect(clock).toEqual({
      id: expect.stringMatching(/^clock_[0-9a-z]{20}$/),
      object: "test_clock",
      name: "January renewals",
      frozenTime: start,
      status: "ready",
      createdAt: expect.any(String),
    });
    expect(await api.get(`/v1/test-clocks/${clock.id}`)).toEqual({ status: 200, body: clock });
    const unnamed = await ok(api.post("/v1/test-clocks", { frozenTime: "2026-03-01T08:00:00+08:00" }));
    expect(unnamed).toMatchObject({ name: null, frozenTime: "2026-03-01T00:00:00.000Z" });
  });

  it("refuses bad input with stable codes", async () => {
    await refused(api.post("/v1/test-clocks", {}), 400, "invalid_request");
    await refused(api.post("/v1/test-clocks", { frozenTime: "yesterday" }), 400, "invalid_request");
    const local = await refused(
      api.post("/v1/test-clocks", { frozenTime: "2027-01-01T00:00:00" }),
      400,
      "invalid_request",
    );
    expect(local.detail).toMatch(/^frozenTime: must be an RFC 3339 time with its offset, e\.g\. /);
    await refused(api.post("/v1/test-clocks", { frozenTime: 1767139200000 }), 400, "invalid_request");
    await refused(api.post("/v1/test-clocks", { frozenTime: start, extra: 1 }), 400, "invalid_request");
    await refused(api.post("/v1/test-clocks", { frozenTime: start, name: "" }), 400, "invalid_request");
    await refused(api.get("/v1/test-clocks/clock_nope"), 404, "test_clock_not_found");
    await refused(
      api.post("/v1/test-clocks/clock_nope/advance", { frozenTime: start }),
      404,
      "test_clock_not_found",
    );
  });

  it("is sandbox only: a live key is refused with sandbox_only, and another merchant finds nothing", async () => {
    const clock = await newClock();
    const live = jsonClient(server.url, keys.live);
    await refused(live.post("/v1/test-clocks", { frozenTime: start }), 403, "sandbox_only");
    await refused(live.get(`/v1/test-clocks/${clock.id}`), 403, "sandbox_only");
    await refused(
      live.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: isoPlus(start, day) }),
      403,
      "sandbox_only",
    );
    const other = jsonClient(
      server.url,
      (await server.admin.merchants.create({ name: "Other" })).apiKeys.test,
    );
    await refused(other.get(`/v1/test-clocks/${clock.id}`), 404, "test_clock_not_found");
    await refused(
      other.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: isoPlus(start, day) }),
      404,
      "test_clock_not_found",
    );
    expect((await api.get(`/v1/test-clocks/${clock.id}`)).body).toEqual(clock);
  });

  it("advances: calls the advancer with the clock and the new time, then moves the clock", async () => {
    const clock = await newClock();
    const calls: Array<{ clock: TestClock; to: number }> = [];
    server.runtime.testClocks.setAdvancer(async (at, to) => {
      calls.push({ clock: at, to });
    });
    const to = "2026-02-28T00:00:00.000Z";
    const advanced = await ok(api.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: to }), 200);
    expect(advanced).toEqual({ ...clock, frozenTime: to, status: "ready" });
    expect(calls).toEqual([
      {
        clock: expect.objectContaining({
          id: clock.id,
          env: "test",
          merchantId,
          frozenTime: Date.parse(start),
          status: "advancing",
        }),
        to: Date.parse(to),
      },
    ]);
    expect((await api.get(`/v1/test-clocks/${clock.id}`)).body).toEqual(advanced);
  });

  it("only moves forward, at most two years at a time", async () => {
    const clock = await newClock();
    const advance = (frozenTime: string) => api.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime });
    await refused(advance(start), 422, "test_clock_time_invalid");
    const backwards = await refused(advance(isoPlus(start, -day)), 422, "test_clock_time_invalid");
    // It names the field the caller sent and the clock's time, not an internal variable (`to`).
    expect(backwards.detail).toBe(
      `a test clock only moves forward: frozenTime must be after its current frozenTime, ${start}`,
    );
    await refused(advance(isoPlus(start, limits.testClockAdvanceMsMax + 1)), 422, "test_clock_time_invalid");
    const far = isoPlus(start, limits.testClockAdvanceMsMax);
    expect((await ok(advance(far), 200)).frozenTime).toBe(far);
  });

  it("refuses a second advance while one runs, and shows the clock as advancing", async () => {
    const clock = await newClock();
    const gate = deferred();
    const entered = deferred();
    let calls = 0;
    server.runtime.testClocks.setAdvancer(async (advancing) => {
      calls += 1;
      if (advancing.id !== clock.id) return;
      entered.resolve();
      await gate.promise;
    });
    const first = api.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: isoPlus(start, day) });
    await entered.promise;
    expect((await api.get(`/v1/test-clocks/${clock.id}`)).body).toMatchObject({
      status: "advancing",
      frozenTime: start,
    });
    await refused(
      api.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: isoPlus(start, 2 * day) }),
      409,
      "test_clock_advancing",
    );
    // Other clocks are not held up.
    const other = await newClock();
    await ok(api.post(`/v1/test-clocks/${other.id}/advance`, { frozenTime: isoPlus(start, day) }), 200);
    gate.resolve();
    expect(await ok(first, 200)).toMatchObject({ status: "ready", frozenTime: isoPlus(start, day) });
    expect(calls).toBe(2);
    expect((await api.get(`/v1/test-clocks/${clock.id}`)).body.status).toBe("ready");
  });

  it("leaves the clock where it was when the advancer fails", async () => {
    const clock = await newClock();
    server.runtime.testClocks.setAdvancer(async () => {
      throw new DomainError("overloaded", "the billing engine is busy");
    });
    await refused(
      api.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: isoPlus(start, day) }),
      503,
      "overloaded",
    );
    expect((await api.get(`/v1/test-clocks/${clock.id}`)).body).toEqual(clock);
    server.runtime.testClocks.setAdvancer(undefined);
    await ok(api.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: isoPlus(start, day) }), 200);
  });

  it("replays retried requests with the same Idempotency-Key, running the advancer once", async () => {
    const headers = { "Idempotency-Key": "clock-create-1" };
    const first = await api.post("/v1/test-clocks", { frozenTime: start, name: "once" }, headers);
    const again = await api.post("/v1/test-clocks", { frozenTime: start, name: "once" }, headers);
    expect(first.status).toBe(201);
    expect(again).toEqual(first);
    await refused(
      api.post("/v1/test-clocks", { frozenTime: start, name: "twice" }, headers),
      409,
      "idempotency_key_reused",
    );
    let calls = 0;
    server.runtime.testClocks.setAdvancer(async () => {
      calls += 1;
    });
    const advanceHeaders = { "Idempotency-Key": "clock-advance-1" };
    const path = `/v1/test-clocks/${first.body.id}/advance`;
    const advanced = await api.post(path, { frozenTime: isoPlus(start, day) }, advanceHeaders);
    const retried = await api.post(path, { frozenTime: isoPlus(start, day) }, advanceHeaders);
    expect(advanced.status).toBe(200);
    expect(retried).toEqual(advanced);
    expect(calls).toBe(1);
  });

  it("lists creations and advances in the audit log", async () => {
    const { apiKeys } = await server.admin.merchants.create({ name: "Audited clocks" });
    const audited = jsonClient(server.url, apiKeys.test);
    const clock = await ok(audited.post("/v1/test-clocks", { frozenTime: start }));
    await ok(audited.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: isoPlus(start, day) }), 200);
    const log = (await audited.get("/v1/audit-log")).body.data;
    expect(log.map((e: Json) => e.action)).toEqual(["test_clock.advanced", "test_clock.created"]);
    expect(log[0]).toMatchObject({
      by: { kind: "api_key", env: "test" },
      details: {
        testClockId: clock.id,
        previousFrozenTime: new Date(start).toISOString(),
        frozenTime: new Date(Date.parse(start) + day).toISOString(),
      },
    });
  });
});

describe("customers on a test clock", () => {
  it("creates a customer on a clock and shows its testClockId", async () => {
    const clock = await newClock();
    const customer = await ok(api.post("/v1/customers", { externalId: "on-clock", testClockId: clock.id }));
    expect(customer).toMatchObject({ externalId: "on-clock", testClockId: clock.id });
    expect((await api.get("/v1/customers/on-clock")).body.testClockId).toBe(clock.id);
    const plain = await ok(api.post("/v1/customers", { externalId: "no-clock" }));
    expect(plain.testClockId).toBeNull();
    // Set at creation only: an update cannot move a customer to a clock.
    await refused(api.patch("/v1/customers/no-clock", { testClockId: clock.id }), 400, "invalid_request");
    // The customer is listed under its clock for whatever runs when the clock advances.
    const { records } = await server.runtime.readEntityRecords(`test_clock_customers:${clock.id}`, {
      limit: 10,
    });
    expect(records.map((r) => r.facts[0]?.customerId)).toEqual([customer.id]);
  });

  it("refuses a clock in live (sandbox_only), an unknown clock and another merchant's", async () => {
    const clock = await newClock();
    const live = jsonClient(server.url, keys.live);
    await refused(
      live.post("/v1/customers", { externalId: "live-clock", testClockId: clock.id }),
      403,
      "sandbox_only",
    );
    await refused(
      api.post("/v1/customers", { externalId: "lost-clock", testClockId: "clock_nope" }),
      404,
      "test_clock_not_found",
    );
    const other = jsonClient(
      server.url,
      (await server.admin.merchants.create({ name: "Thief" })).apiKeys.test,
    );
    await refused(
      other.post("/v1/customers", { externalId: "their-clock", testClockId: clock.id }),
      404,
      "test_clock_not_found",
    );
    for (const [client, id] of [
      [live, "live-clock"],
      [api, "lost-clock"],
      [other, "their-clock"],
    ] as const) {
      await refused(client.get(`/v1/customers/${id}`), 404, "customer_not_found");
    }
  });
});

describe("test clocks across a restart", () => {
  it("keeps clocks at their advanced time and customers on their clocks", async () => {
    const clock = await newClock("durable");
    const to = isoPlus(start, 30 * day);
    const advanced = await ok(api.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: to }), 200);
    const customer = await ok(
      api.post("/v1/customers", { externalId: "durable-on-clock", testClockId: clock.id }),
    );
    await server.stop();

    server = await startTestServer({ dataDir: dir.path, startTimers: false });
    api = jsonClient(server.url, keys.test);
    expect((await api.get(`/v1/test-clocks/${clock.id}`)).body).toEqual(advanced);
    expect((await api.get("/v1/customers/durable-on-clock")).body).toEqual(customer);
    expect((await api.get("/v1/customers/no-clock")).body.testClockId).toBeNull();
    const later = isoPlus(to, day);
    expect(
      (await ok(api.post(`/v1/test-clocks/${clock.id}/advance`, { frozenTime: later }), 200)).frozenTime,
    ).toBe(later);
  });
});

describe("a restart in the middle of an advance", () => {
  it("leaves the clock ready at its old time, and the advance can be repeated", async () => {
    const own = await tempDir();
    try {
      const runtime = await openRuntime(own.path);
      const { merchant } = await runtime.merchants.create("Mid-advance");
      const actor = { kind: "api_key" as const, env: "test", keyId: "k" };
      const clock = await runtime.testClocks.create("test", merchant.id, { frozenTime: 1_000 }, actor);
      const entered = deferred();
      runtime.testClocks.setAdvancer(async () => {
        entered.resolve();
        await new Promise(() => {}); // the process "dies" while the advancer runs
      });
      void runtime.testClocks.advance("test", merchant.id, clock.id, 2_000, actor);
      await entered.promise;
      expect((await runtime.testClocks.require("test", merchant.id, clock.id)).status).toBe("advancing");
      await runtime.close();

      const reopened = await openRuntime(own.path);
      expect(await reopened.testClocks.require("test", merchant.id, clock.id)).toEqual(clock);
      const calls: number[] = [];
      reopened.testClocks.setAdvancer(async (_, to) => {
        calls.push(to);
      });
      const advanced = await reopened.testClocks.advance("test", merchant.id, clock.id, 2_000, actor);
      expect(advanced).toEqual({ ...clock, frozenTime: 2_000, status: "ready" });
      expect(calls).toEqual([2_000]);
      await reopened.close();
    } finally {
      await own.remove();
    }
  });
});

describe("test clocks in the OpenAPI document", () => {
  it("documents the operations, their schemas and the customer's testClockId", async () => {
    const document = (await (await fetch(`${server.url}/api/openapi`)).json()) as Json;
    expect(Object.keys(document.paths["/v1/test-clocks"])).toEqual(["post"]);
    expect(Object.keys(document.paths["/v1/test-clocks/{clockId}"])).toEqual(["get"]);
    expect(Object.keys(document.paths["/v1/test-clocks/{clockId}/advance"])).toEqual(["post"]);
    const schemas = document.components.schemas;
    expect(Object.keys(schemas.TestClock.properties)).toEqual([
      "id",
      "object",
      "name",
      "frozenTime",
      "status",
      "createdAt",
    ]);
    expect(schemas.CreateTestClockRequest.required).toEqual(["frozenTime"]);
    expect(schemas.AdvanceTestClockRequest.required).toEqual(["frozenTime"]);
    expect(schemas.Customer.properties.testClockId).toBeDefined();
    expect(schemas.CreateCustomerRequest.properties.testClockId).toBeDefined();
  });
});
