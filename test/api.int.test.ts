import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Runtime } from "../actors/index.js";
import { adminToken, startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

let server: Awaited<ReturnType<typeof startTestServer>>;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = (await server.admin.merchants.create({ name: "HTTP" })).apiKeys.test;
  await post("/v1/customers", { externalId: "u1" });
  await post("/v1/customers/u1/wallet/grants", { amount: "10", reason: "r" });
});
afterAll(async () => {
  await server.remove();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}, raw?: string) {
  return fetch(server.url + path, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", ...headers },
    body: raw ?? JSON.stringify(body),
  });
}

describe("HTTP conventions", () => {
  it("answers errors as application/problem+json with a stable code and the request id", async () => {
    const response = await post("/v1/customers/nobody/wallet/debits", { amount: "1" });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: "customer_not_found", status: 404 });
    expect(body.requestId).toBe(response.headers.get("request-id"));
  });

  it("answers an unknown route 404 and a known path's other method 405, both as problems", async () => {
    const headers = { Authorization: `Bearer ${key}` };
    const unknown = await fetch(`${server.url}/v1/nothing-here`, { headers });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe("not_found");
    const wrongMethod = await fetch(`${server.url}/v1/customers/u1`, { method: "DELETE", headers });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(wrongMethod.headers.get("allow")).toMatch(/GET/);
    expect(await wrongMethod.json()).toMatchObject({ code: "method_not_allowed", status: 405 });
  });

  it("refuses a body that is not JSON with 415, and applies nothing", async () => {
    const post = (contentType: string | undefined) =>
      fetch(`${server.url}/v1/customers`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, ...(contentType ? { "Content-Type": contentType } : {}) },
        body: contentType?.includes("form")
          ? "externalId=media_1"
          : JSON.stringify({ externalId: "media_1" }),
      });
    for (const type of ["text/plain", "application/x-www-form-urlencoded", undefined]) {
      const response = await post(type);
      expect(response.status).toBe(415);
      const body = (await response.json()) as { code: string; detail: string };
      expect(body.code).toBe("unsupported_media_type");
      expect(body.detail).toMatch(/Content-Type: application\/json/);
    }
    const headers = { Authorization: `Bearer ${key}` };
    expect((await fetch(`${server.url}/v1/customers/media_1`, { headers })).status).toBe(404);
    // A body-less POST needs no type (it is read as {}); JSON with a charset is JSON.
    const empty = await fetch(`${server.url}/v1/customers`, { method: "POST", headers });
    expect(((await empty.json()) as { code: string }).code).toBe("invalid_request");
    expect((await post("application/json; charset=utf-8")).status).toBe(201);
  });

  it("refuses a missing or wrong key with 401 unauthorized", async () => {
    expect((await fetch(`${server.url}/v1/customers/u1`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/v1/customers/u1`, {
      headers: { Authorization: "Bearer bm_test_nope" },
    });
    expect(((await wrong.json()) as { code: string }).code).toBe("unauthorized");
    const merchantOnAdmin = await post("/v1/admin/merchants", { name: "x" });
    expect(merchantOnAdmin.status).toBe(401);
  });

  it("refuses a body over the limit with 413 and malformed JSON with 400", async () => {
    const huge = await post(
      "/v1/customers",
      null,
      {},
      JSON.stringify({ externalId: "x", name: "a".repeat(2_000_000) }),
    );
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { code: string }).code).toBe("payload_too_large");
    const malformed = await post("/v1/customers", null, {}, "{not json");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { code: string }).code).toBe("invalid_request");
    const notGzip = await post("/v1/customers", null, { "Content-Encoding": "gzip" }, '{"externalId":"gz"}');
    expect(notGzip.status).toBe(400);
    expect(await notGzip.json()).toMatchObject({
      code: "invalid_request",
      detail: expect.stringMatching(/Z_DATA_ERROR/),
    });
  });

  it("refuses unknown fields and lists every validation problem", async () => {
    const response = await post("/v1/customers/u1/wallet/debits", { amount: "1", amout: "2" });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: Array<{ path: string }> };
    expect(body.errors.length).toBeGreaterThan(0);
  });

  it("refuses a body nested too deeply to fingerprint with 400, not 500, and applies nothing", async () => {
    const headBefore = server.runtime.log.durableHead;
    const deep = `{"externalId":"deep","x":${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}}`;
    const response = await post("/v1/customers", undefined, { "Idempotency-Key": "deep-1" }, deep);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_request" });
    expect(server.runtime.log.durableHead).toBe(headBefore);
  });

  it("replays a stored response with Idempotent-Replayed and the same status and body", async () => {
    const headers = { "Idempotency-Key": "http-1" };
    const first = await post("/v1/customers/u1/wallet/debits", { amount: "1" }, headers);
    const second = await post("/v1/customers/u1/wallet/debits", { amount: "1" }, headers);
    expect(second.status).toBe(first.status);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await second.json()).toEqual(await first.json());
  });

  it("refuses a concurrent request with a key still in use (409 idempotency_key_in_use), applying one", async () => {
    const headers = { "Idempotency-Key": "http-concurrent" };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => post("/v1/customers/u1/wallet/debits", { amount: "0.5" }, headers)),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const history = (await (
      await fetch(`${server.url}/v1/customers/u1/wallet/transactions?limit=100`, {
        headers: { Authorization: `Bearer ${key}` },
      })
    ).json()) as { data: Array<{ amount: string }> };
    expect(history.data.filter((t) => t.amount === "0.50")).toHaveLength(1);
  });

  it("scopes idempotency keys per merchant and environment", async () => {
    const other = (await server.admin.merchants.create({ name: "Other" })).apiKeys.test;
    const headers = { "Idempotency-Key": "shared-key", Authorization: `Bearer ${other}` };
    const mine = await post("/v1/customers", { externalId: "a" }, { "Idempotency-Key": "shared-key" });
    const theirs = await post("/v1/customers", { externalId: "b" }, headers);
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
  });

  it("serves an OpenAPI 3.1 document generated from the request schemas", async () => {
    const document = (await (await fetch(`${server.url}/api/openapi`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/v1/admin/merchants",
        "/v1/customers",
        "/v1/customers/{externalId}/wallet/debits",
        "/v1/customers/{externalId}/wallet/reservations/{reservationId}/capture",
      ]),
    );
    expect(Object.keys(document.components.schemas.DebitRequest?.properties ?? {})).toEqual([
      "amount",
      "description",
    ]);
    expect(document.components.schemas.Problem).toBeDefined();
  });

  it("documents the rate card list and the reservation reads as GETs behind the API key, with their shapes", async () => {
    type Get = {
      operationId: string;
      security: unknown[];
      parameters?: Array<{ name: string; in: string }>;
      responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
    };
    const document = (await (await fetch(`${server.url}/api/openapi`)).json()) as {
      paths: Record<string, { get?: Get }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const reservations = "/v1/customers/{externalId}/wallet/reservations";
    const reads = {
      "/v1/rate-cards": ["listRateCards", "RateCardList"],
      [`${reservations}/{reservationId}`]: ["retrieveReservation", "Reservation"],
      [reservations]: ["listActiveReservations", "ReservationList"],
    } as const;
    for (const [path, [operationId, schema]] of Object.entries(reads)) {
      const get = document.paths[path]?.get;
      expect(get?.operationId, path).toBe(operationId);
      expect(get?.security).toEqual([{ apiKey: [] }]);
      expect(get?.responses["200"]?.content?.["application/json"]?.schema.$ref).toBe(
        `#/components/schemas/${schema}`,
      );
    }
    const queryOf = (path: string) =>
      document.paths[path]?.get?.parameters?.filter((p) => p.in === "query").map((p) => p.name);
    expect(queryOf("/v1/rate-cards")).toEqual(["limit", "startingAfter"]);
    expect(queryOf(reservations)).toEqual(["limit", "startingAfter"]);
    expect(Object.keys(document.components.schemas.RateCardList?.properties ?? {})).toEqual([
      "object",
      "data",
      "hasMore",
      "nextCursor",
    ]);
  });

  it("serves a document that validates against the OpenAPI 3.1 schema, as code generators need", async () => {
    const document = (await (await fetch(`${server.url}/api/openapi`)).json()) as Record<string, unknown>;
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // The server as the client reached it, not a fixed port.
    expect(document.servers).toEqual([{ url: server.url }]);
  });

  it("admin routes take the admin token", async () => {
    const response = await fetch(`${server.url}/v1/admin/merchants`, {
      method: "POST",
      headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Admin-made" }),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { apiKeys: { test: string; live: string } };
    expect(body.apiKeys.test).toMatch(/^bm_test_/);
    expect(body.apiKeys.live).toMatch(/^bm_live_/);
  });

  it("routes paths exactly as written: another case of a path reaches no operation, and nothing is made", async () => {
    const headBefore = server.runtime.log.durableHead;
    const attempts = [
      { path: "/V1/admin/merchants", headers: {} },
      { path: "/v1/Admin/merchants", headers: { Authorization: `Bearer ${key}` } },
      { path: "/V1/Admin/Merchants", headers: { Authorization: `Bearer ${key}` } },
      { path: "/v1/ADMIN/merchants", headers: { Authorization: `Bearer ${adminToken}` } },
    ];
    for (const { path, headers } of attempts) {
      const response = await fetch(server.url + path, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Uninvited" }),
      });
      expect([401, 404], path).toContain(response.status);
      expect(JSON.stringify(await response.json())).not.toMatch(/bm_(test|live)_/);
    }
    const customer = await fetch(`${server.url}/V1/customers/u1`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(customer.status).toBe(404);
    expect(server.runtime.log.durableHead).toBe(headBefore);
  });
});

describe("the admin token", () => {
  it("retires a generated token once one is configured: unsetting the setting later makes a new one", async () => {
    const dir = await tempDir("admin-token");
    try {
      const reopen = async (adminToken?: string) => {
        const runtime = await Runtime.open({
          dataDir: dir.path,
          startTimers: false,
          ...(adminToken ? { adminToken } : {}),
        });
        const generated = runtime.generatedAdminToken;
        await runtime.close();
        return generated;
      };
      const first = await reopen();
      expect(first).toMatch(/^bm_admin_/);
      expect(await reopen()).toBeNull();
      expect(await reopen("bm_admin_configured_0123456789")).toBeNull();
      const second = await reopen();
      expect(second).toMatch(/^bm_admin_/);
      expect(second).not.toBe(first);
    } finally {
      await dir.remove();
    }
  });
});
