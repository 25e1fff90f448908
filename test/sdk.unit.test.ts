import { describe, expect, it } from "vitest";
import BuffMoneyClient, {
  BuffMoneyAdminClient,
  BuffMoneyConnectionError,
  BuffMoneyError,
  type ClientOptions,
  type Customer,
  type WalletOperation,
  type WalletTransaction,
} from "@buffmoney/sdk";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { errorStatus } from "../domain/errors.js";
import { json, scriptedServer, type Reply } from "./support/scriptedServer.js";

const dropConnection: Reply = (request) => request.socket.destroy();
const neverAnswer: Reply = () => {};

function clientFor(baseUrl: string, options: Partial<ClientOptions> = {}): BuffMoneyClient {
  return new BuffMoneyClient({ apiKey: "bm_test_abc123", baseUrl, retryDelayMsBase: 1, ...options });
}

function problem(status: number, code: string, extra: Record<string, unknown> = {}): Reply {
  return json(status, {
    type: "about:blank",
    title: code,
    status,
    code,
    detail: `${code} happened`,
    ...extra,
  });
}

const customer: Customer = {
  id: "cus_1",
  object: "customer",
  externalId: "user_1",
  name: null,
  email: null,
  environment: "test",
  createdAt: "2025-01-01T00:00:00.000Z",
};

function transaction(id: string): WalletTransaction {
  return {
    id,
    object: "wallet_transaction",
    type: "grant",
    amount: "1.00",
    balanceAfter: "1.00",
    availableAfter: "1.00",
    reservationId: null,
    reason: "promo",
    description: null,
    sequence: 1,
    createdAt: "2025-01-01T00:00:00.000Z",
  };
}

const operation: WalletOperation = {
  wallet: {
    object: "wallet",
    customerExternalId: "user_1",
    currency: "CNY",
    balance: "12.50",
    reserved: "0.00",
    available: "12.50",
    status: "active",
  },
  transaction: transaction("wtx_1"),
};

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("BuffMoneyClient construction", () => {
  it("derives the environment from the key prefix", () => {
    expect(new BuffMoneyClient({ apiKey: "bm_test_x" }).environment).toBe("test");
    expect(new BuffMoneyClient({ apiKey: "bm_live_x" }).environment).toBe("live");
  });

  it("rejects a key without a BuffMoney prefix and does not echo it", () => {
    expect(() => new BuffMoneyClient({ apiKey: "sk_secret_123" })).toThrow(/bm_test_/);
    expect(() => new BuffMoneyClient({ apiKey: "sk_secret_123" })).not.toThrow(/sk_secret_123/);
  });
});

describe("requests", () => {
  it("sends the bearer key, the SDK header, JSON and a generated idempotency key on POST", async () => {
    const server = await scriptedServer(json(201, customer));

    const created = await clientFor(server.baseUrl).customers.create({ externalId: "user_1", name: "Li" });

    expect(created).toEqual(customer);
    const [request] = server.received;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/v1/customers");
    expect(request?.headers["authorization"]).toBe("Bearer bm_test_abc123");
    expect(request?.headers["buffmoney-sdk"]).toBe("ts/0.1.0");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers["idempotency-key"]).toMatch(uuidPattern);
    expect(request?.body).toEqual({ externalId: "user_1", name: "Li" });
  });

  it("generates a fresh idempotency key for each method call", async () => {
    const server = await scriptedServer(json(201, operation), json(201, operation));
    const client = clientFor(server.baseUrl);

    await client.wallets.grant("user_1", { amount: "5.00", reason: "promo" });
    await client.wallets.grant("user_1", { amount: "5.00", reason: "promo" });

    const [first, second] = server.received.map((request) => request.headers["idempotency-key"]);
    expect(first).not.toBe(second);
  });

  it("uses the caller's idempotency key", async () => {
    const server = await scriptedServer(json(201, operation));

    await clientFor(server.baseUrl).wallets.debit(
      "user_1",
      { amount: "0.0002", description: "1k tokens" },
      { idempotencyKey: "order-77" },
    );

    expect(server.received[0]?.headers["idempotency-key"]).toBe("order-77");
    expect(server.received[0]?.body).toEqual({ amount: "0.0002", description: "1k tokens" });
  });

  it("sends no idempotency key or body on GET", async () => {
    const server = await scriptedServer(json(200, operation.wallet));

    await clientFor(server.baseUrl).wallets.retrieve("user_1");

    expect(server.received[0]?.headers["idempotency-key"]).toBeUndefined();
    expect(server.received[0]?.headers["content-type"]).toBeUndefined();
    expect(server.received[0]?.body).toBeUndefined();
  });

  it("calls a custom fetch as a plain function, as Workers require", async () => {
    const receivers: unknown[] = [];
    const client = clientFor("http://api.invalid", {
      fetch: function (this: unknown) {
        receivers.push(this);
        return Promise.resolve(Response.json(customer));
      },
    });

    expect(await client.customers.retrieve("user_1")).toEqual(customer);
    expect(receivers).toEqual([undefined]);
  });

  it("encodes each externalId and reservationId as one path segment", async () => {
    const page = { object: "list", data: [], hasMore: false, nextCursor: null };
    const server = await scriptedServer(json(200, customer), json(200, page), json(200, operation));
    const client = clientFor(server.baseUrl);
    const externalId = "user/42 中";

    await client.customers.retrieve(externalId);
    await client.wallets.transactions(externalId, { limit: 5, startingAfter: "wtx_9" });
    await client.wallets.capture(externalId, "rsv_1?x", { amount: "1.00" });

    expect(server.received.map((request) => request.url)).toEqual([
      "/v1/customers/user%2F42%20%E4%B8%AD",
      "/v1/customers/user%2F42%20%E4%B8%AD/wallet/transactions?limit=5&startingAfter=wtx_9",
      "/v1/customers/user%2F42%20%E4%B8%AD/wallet/reservations/rsv_1%3Fx/capture",
    ]);
  });

  it("rejects IDs that URL parsing would collapse, before sending anything", async () => {
    const client = clientFor("http://127.0.0.1:1", { maxRetries: 0 });
    await expect(client.wallets.retrieve("..")).rejects.toThrow(TypeError);
    await expect(client.customers.retrieve("")).rejects.toThrow(TypeError);
  });

  it("sends {} for commands without parameters", async () => {
    const server = await scriptedServer(json(200, operation), json(200, operation), json(200, operation));
    const client = clientFor(server.baseUrl);

    await client.wallets.release("user_1", "rsv_1");
    await client.wallets.unfreeze("user_1");
    await client.wallets.capture("user_1", "rsv_1");

    expect(server.received.map((request) => [request.url, request.body])).toEqual([
      ["/v1/customers/user_1/wallet/reservations/rsv_1/release", {}],
      ["/v1/customers/user_1/wallet/unfreeze", {}],
      ["/v1/customers/user_1/wallet/reservations/rsv_1/capture", {}],
    ]);
  });
});

describe("retries", () => {
  it("retries a 503 under the same idempotency key", async () => {
    const server = await scriptedServer(problem(503, "overloaded"), json(201, operation));

    const result = await clientFor(server.baseUrl).wallets.grant("user_1", {
      amount: "5.00",
      reason: "promo",
    });

    expect(result).toEqual(operation);
    const keys = server.received.map((request) => request.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });

  it("waits for Retry-After on 429 and keeps the caller's key", async () => {
    const server = await scriptedServer(
      problem(429, "rate_limited"),
      json(429, { code: "rate_limited" }, { "Retry-After": "1" }),
      json(201, operation),
    );
    const started = Date.now();

    await clientFor(server.baseUrl).wallets.reserve(
      "user_1",
      { amount: "3.00", expiresInSeconds: 60 },
      { idempotencyKey: "rsv-key-1" },
    );

    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.received.map((request) => request.headers["idempotency-key"])).toEqual([
      "rsv-key-1",
      "rsv-key-1",
      "rsv-key-1",
    ]);
  });

  it("retries a dropped connection under the same idempotency key", async () => {
    const server = await scriptedServer(dropConnection, json(201, operation));

    await clientFor(server.baseUrl).wallets.debit("user_1", { amount: "1.00" });

    const keys = server.received.map((request) => request.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });

  it("retries 409 idempotency_key_in_use until the first request finishes", async () => {
    const server = await scriptedServer(problem(409, "idempotency_key_in_use"), json(200, operation));

    await clientFor(server.baseUrl).wallets.freeze("user_1", { reason: "chargeback" });

    expect(server.received).toHaveLength(2);
  });

  it("does not retry a 400 and throws BuffMoneyError with the problem's fields", async () => {
    const errors = [{ path: "amount", message: "must be a decimal string" }];
    const server = await scriptedServer(problem(400, "invalid_amount", { requestId: "req_42", errors }));

    const error = await rejectionOf(
      clientFor(server.baseUrl).wallets.grant("user_1", { amount: "1e3", reason: "promo" }),
    );

    expect(error).toBeInstanceOf(BuffMoneyError);
    expect(error).toMatchObject({
      code: "invalid_amount",
      status: 400,
      message: "invalid_amount happened",
      requestId: "req_42",
      errors,
    });
    expect((error as BuffMoneyError).raw).toMatchObject({ code: "invalid_amount", status: 400 });
    expect(server.received).toHaveLength(1);
  });

  it("does not retry other 409s", async () => {
    const server = await scriptedServer(problem(409, "customer_exists"));

    const error = await rejectionOf(clientFor(server.baseUrl).customers.create({ externalId: "user_1" }));

    expect(error).toMatchObject({ code: "customer_exists", status: 409 });
    expect(server.received).toHaveLength(1);
  });

  it("throws the last BuffMoneyError once retries are exhausted", async () => {
    const server = await scriptedServer(
      problem(503, "overloaded"),
      problem(503, "overloaded"),
      problem(500, "internal_error"),
    );

    const error = await rejectionOf(clientFor(server.baseUrl, { maxRetries: 2 }).wallets.retrieve("user_1"));

    expect(error).toMatchObject({ code: "internal_error", status: 500 });
    expect(server.received).toHaveLength(3);
  });

  it("throws BuffMoneyConnectionError when nothing listens", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));

    const error = await rejectionOf(clientFor(`http://127.0.0.1:${port}`).customers.retrieve("user_1"));

    expect(error).toBeInstanceOf(BuffMoneyConnectionError);
    expect(error).toMatchObject({ code: "connection_error" });
  });

  it("times out each attempt and retries it under the same key", async () => {
    const server = await scriptedServer(neverAnswer, neverAnswer);

    const error = await rejectionOf(
      clientFor(server.baseUrl, { timeoutMs: 100, maxRetries: 1 }).wallets.grant("user_1", {
        amount: "1.00",
        reason: "promo",
      }),
    );

    expect(error).toBeInstanceOf(BuffMoneyConnectionError);
    expect((error as Error).message).toMatch(/timed out after 100 ms/);
    const keys = server.received.map((request) => request.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });
});

describe("pagination", () => {
  it("listAllTransactions follows nextCursor until hasMore is false", async () => {
    const server = await scriptedServer(
      json(200, {
        object: "list",
        data: [transaction("wtx_3"), transaction("wtx_2")],
        hasMore: true,
        nextCursor: "c1",
      }),
      json(200, { object: "list", data: [transaction("wtx_1")], hasMore: false, nextCursor: null }),
    );

    const ids: string[] = [];
    for await (const item of clientFor(server.baseUrl).wallets.listAllTransactions("user_1", {
      pageSize: 2,
    })) {
      ids.push(item.id);
    }

    expect(ids).toEqual(["wtx_3", "wtx_2", "wtx_1"]);
    expect(server.received.map((request) => request.url)).toEqual([
      "/v1/customers/user_1/wallet/transactions?limit=2",
      "/v1/customers/user_1/wallet/transactions?limit=2&startingAfter=c1",
    ]);
  });
});

describe("BuffMoneyAdminClient", () => {
  it("creates a merchant with the admin token", async () => {
    const merchant = {
      id: "mer_1",
      object: "merchant",
      name: "Acme AI",
      createdAt: "2025-01-01T00:00:00.000Z",
      apiKeys: { test: "bm_test_k", live: "bm_live_k" },
    };
    const server = await scriptedServer(json(201, merchant));
    const admin = new BuffMoneyAdminClient({ adminToken: "adm_secret", baseUrl: server.baseUrl });

    expect(await admin.merchants.create({ name: "Acme AI" })).toEqual(merchant);
    expect(server.received[0]?.url).toBe("/v1/admin/merchants");
    expect(server.received[0]?.headers["authorization"]).toBe("Bearer adm_secret");
    expect(server.received[0]?.headers["idempotency-key"]).toMatch(uuidPattern);
  });
});

describe("the SDK's error codes", () => {
  it("name every code the server answers with", async () => {
    const source = await readFile(new URL("../sdk/src/errors.ts", import.meta.url), "utf8");
    const named = new Set([...source.matchAll(/^ {2}\| "(\w+)"$/gm)].map((match) => match[1]));
    expect(Object.keys(errorStatus).filter((code) => !named.has(code))).toEqual([]);
  });
});
