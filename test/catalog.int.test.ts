import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limits } from "../domain/limits.js";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/** Tests read bodies freely; each test asserts the shapes it relies on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof startTestServer>>;
let keys: { test: string; live: string };
let api: ReturnType<typeof jsonClient>;

beforeAll(async () => {
  dir = await tempDir();
  server = await startTestServer({ dataDir: dir.path, startTimers: false });
  keys = (await server.admin.merchants.create({ name: "Catalog" })).apiKeys;
  api = jsonClient(server.url, keys.test);
});
afterAll(async () => {
  await server.stop();
  await dir.remove();
});

async function created(call: Promise<{ status: number; body: Json }>): Promise<Json> {
  const { status, body } = await call;
  expect(status, JSON.stringify(body)).toBe(201);
  return body;
}

async function refused(call: Promise<{ status: number; body: Json }>, status: number, code: string) {
  const response = await call;
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.code).toBe(code);
  return response.body;
}

const monthly = (productId: string, unitAmount = "149.00") => ({
  productId,
  type: "recurring",
  unitAmount,
  interval: "month",
});

describe("products", () => {
  it("creates a product and retrieves it", async () => {
    const product = await created(
      api.post("/v1/products", { name: "Pro plan", nameZh: "专业版", description: "For teams" }),
    );
    expect(product).toEqual({
      id: expect.stringMatching(/^prod_[0-9a-z]{20}$/),
      object: "product",
      name: "Pro plan",
      nameZh: "专业版",
      description: "For teams",
      createdAt: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(product.createdAt))).toBe(false);
    const fetched = await api.get(`/v1/products/${product.id}`);
    expect(fetched).toEqual({ status: 200, body: product });
    const bare = await created(api.post("/v1/products", { name: "Bare" }));
    expect(bare).toMatchObject({ nameZh: null, description: null });
  });

  it("refuses bad input with 400 invalid_request and changes nothing", async () => {
    const before = (await api.get("/v1/products?limit=100")).body.data.length;
    await refused(api.post("/v1/products", { name: "" }), 400, "invalid_request");
    await refused(api.post("/v1/products", { name: "   " }), 400, "invalid_request");
    await refused(api.post("/v1/products", {}), 400, "invalid_request");
    await refused(
      api.post("/v1/products", { name: "x".repeat(limits.nameLengthMax + 1) }),
      400,
      "invalid_request",
    );
    await refused(
      api.post("/v1/products", { name: "Long", description: "d".repeat(1_001) }),
      400,
      "invalid_request",
    );
    await refused(api.post("/v1/products", { name: "Typo", nmae: "x" }), 400, "invalid_request");
    expect((await api.get("/v1/products?limit=100")).body.data.length).toBe(before);
  });

  it("answers 404 product_not_found for an unknown id", async () => {
    await refused(api.get("/v1/products/prod_nope"), 404, "product_not_found");
  });

  it("lists products newest first, a page at a time", async () => {
    const { apiKeys } = await server.admin.merchants.create({ name: "Lister" });
    const lister = jsonClient(server.url, apiKeys.test);
    const ids: string[] = [];
    for (const name of ["A", "B", "C", "D", "E"]) {
      ids.push((await created(lister.post("/v1/products", { name }))).id);
    }
    const first = await lister.get("/v1/products?limit=2");
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ object: "list", hasMore: true });
    expect(first.body.data.map((p: Json) => p.name)).toEqual(["E", "D"]);
    expect(first.body.nextCursor).toMatch(/^\d+$/);
    const second = await lister.get(`/v1/products?limit=2&startingAfter=${first.body.nextCursor}`);
    expect(second.body.data.map((p: Json) => p.name)).toEqual(["C", "B"]);
    const third = await lister.get(`/v1/products?limit=2&startingAfter=${second.body.nextCursor}`);
    expect(third.body).toEqual({
      object: "list",
      data: [expect.objectContaining({ id: ids[0], name: "A" })],
      hasMore: false,
      nextCursor: null,
    });
    await refused(lister.get("/v1/products?limit=0"), 400, "invalid_request");
    await refused(lister.get("/v1/products?startingAfter=abc"), 400, "invalid_request");
  });
});

describe("prices", () => {
  let productId: string;
  beforeAll(async () => {
    productId = (await created(api.post("/v1/products", { name: "Priced" }))).id;
  });

  it("creates a monthly recurring price with a yuan amount and retrieves it", async () => {
    const price = await created(
      api.post("/v1/prices", { ...monthly(productId, "149"), nickname: "Monthly" }),
    );
    expect(price).toEqual({
      id: expect.stringMatching(/^price_[0-9a-z]{20}$/),
      object: "price",
      productId,
      type: "recurring",
      unitAmount: "149.00",
      currency: "CNY",
      nickname: "Monthly",
      interval: "month",
      refundWindowDays: null,
      createdAt: expect.any(String),
    });
    expect(await api.get(`/v1/prices/${price.id}`)).toEqual({ status: 200, body: price });
  });

  it("creates one-time prices with or without a refund window", async () => {
    const refundable = await created(
      api.post("/v1/prices", {
        productId,
        type: "one_time",
        unitAmount: "9.90",
        currency: "CNY",
        refundWindowDays: 7,
      }),
    );
    expect(refundable).toMatchObject({
      type: "one_time",
      unitAmount: "9.90",
      interval: null,
      refundWindowDays: 7,
      nickname: null,
    });
    const final = await created(api.post("/v1/prices", { productId, type: "one_time", unitAmount: "0.01" }));
    expect(final).toMatchObject({ unitAmount: "0.01", refundWindowDays: null });
  });

  it("a recurring price without an interval is monthly", async () => {
    const created = await api.post("/v1/prices", { productId, type: "recurring", unitAmount: "1.00" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ interval: "month" });
  });

  it("refuses combinations that make no sense with 400 invalid_price", async () => {
    const detail = async (body: unknown) =>
      (await refused(api.post("/v1/prices", body), 400, "invalid_price")).detail;
    expect(await detail({ ...monthly(productId), refundWindowDays: 7 })).toMatch(/one-time/);
    expect(await detail({ productId, type: "one_time", unitAmount: "1.00", interval: "month" })).toMatch(
      /recurring/,
    );
  });

  it("refuses bad amounts and fields with stable codes", async () => {
    await refused(api.post("/v1/prices", monthly(productId, "0")), 400, "invalid_amount");
    await refused(api.post("/v1/prices", monthly(productId, "0.00")), 400, "invalid_amount");
    await refused(api.post("/v1/prices", monthly(productId, "1.234")), 400, "invalid_amount");
    await refused(api.post("/v1/prices", monthly(productId, "-1")), 400, "invalid_request");
    await refused(api.post("/v1/prices", monthly(productId, "abc")), 400, "invalid_request");
    await refused(api.post("/v1/prices", { ...monthly(productId), currency: "USD" }), 400, "invalid_request");
    await refused(
      api.post("/v1/prices", { ...monthly(productId), interval: "year" }),
      400,
      "invalid_request",
    );
    await refused(api.post("/v1/prices", { ...monthly(productId), type: "metered" }), 400, "invalid_request");
    await refused(
      api.post("/v1/prices", { productId, type: "one_time", unitAmount: "1", refundWindowDays: 366 }),
      400,
      "invalid_request",
    );
    await refused(
      api.post("/v1/prices", { productId, type: "one_time", unitAmount: "1", refundWindowDays: 1.5 }),
      400,
      "invalid_request",
    );
    await refused(api.post("/v1/prices", monthly("prod_nope")), 404, "product_not_found");
    await refused(api.get("/v1/prices/price_nope"), 404, "price_not_found");
  });

  it("has no way to change a price: create another instead", async () => {
    const price = await created(api.post("/v1/prices", monthly(productId, "10.00")));
    for (const method of ["PATCH", "POST", "PUT"]) {
      const response = await fetch(`${server.url}/v1/prices/${price.id}`, {
        method,
        headers: { Authorization: `Bearer ${keys.test}`, "Content-Type": "application/json" },
        body: JSON.stringify({ unitAmount: "1.00" }),
      });
      expect(response.status, method).toBe(405);
    }
    expect((await api.get(`/v1/prices/${price.id}`)).body).toEqual(price);
    const document = (await (await fetch(`${server.url}/api/openapi`)).json()) as Json;
    expect(Object.keys(document.paths["/v1/prices/{priceId}"])).toEqual(["get"]);
  });

  it("lists prices newest first, all or one product's, and refuses an unknown product", async () => {
    const { apiKeys } = await server.admin.merchants.create({ name: "Price lister" });
    const lister = jsonClient(server.url, apiKeys.test);
    const a = (await created(lister.post("/v1/products", { name: "A" }))).id;
    const b = (await created(lister.post("/v1/products", { name: "B" }))).id;
    const a1 = (await created(lister.post("/v1/prices", monthly(a, "1.00")))).id;
    const b1 = (await created(lister.post("/v1/prices", monthly(b, "2.00")))).id;
    const a2 = (await created(lister.post("/v1/prices", monthly(a, "3.00")))).id;
    const all = await lister.get("/v1/prices");
    expect(all.body.data.map((p: Json) => p.id)).toEqual([a2, b1, a1]);
    expect(all.body).toMatchObject({ object: "list", hasMore: false, nextCursor: null });
    const ofA = await lister.get(`/v1/prices?productId=${a}&limit=1`);
    expect(ofA.body.data.map((p: Json) => p.id)).toEqual([a2]);
    expect(ofA.body.hasMore).toBe(true);
    const rest = await lister.get(`/v1/prices?productId=${a}&limit=1&startingAfter=${ofA.body.nextCursor}`);
    expect(rest.body).toMatchObject({ data: [expect.objectContaining({ id: a1 })], hasMore: false });
    await refused(lister.get("/v1/prices?productId=prod_nope"), 404, "product_not_found");
  });

  it(`allows at most ${limits.pricesPerProductMax} prices per product`, async () => {
    const capped = (await created(api.post("/v1/products", { name: "Capped" }))).id;
    const results = await Promise.all(
      Array.from({ length: limits.pricesPerProductMax + 3 }, (_, i) =>
        api.post("/v1/prices", monthly(capped, `${i + 1}.00`)),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(limits.pricesPerProductMax);
    for (const r of results.filter((r) => r.status !== 201)) {
      expect(r).toMatchObject({ status: 409, body: { code: "product_prices_limit_reached" } });
    }
    const listed = await api.get(`/v1/prices?productId=${capped}&limit=100`);
    expect(listed.body.data).toHaveLength(limits.pricesPerProductMax);
  });
});

describe("isolation and idempotency", () => {
  it("keeps sandbox and live apart, and merchants apart", async () => {
    const product = await created(api.post("/v1/products", { name: "Sandbox only" }));
    const price = await created(api.post("/v1/prices", monthly(product.id)));
    const live = jsonClient(server.url, keys.live);
    await refused(live.get(`/v1/products/${product.id}`), 404, "product_not_found");
    await refused(live.get(`/v1/prices/${price.id}`), 404, "price_not_found");
    await refused(live.post("/v1/prices", monthly(product.id)), 404, "product_not_found");
    await refused(live.get(`/v1/prices?productId=${product.id}`), 404, "product_not_found");
    expect((await live.get("/v1/products")).body.data).toEqual([]);
    expect((await live.get("/v1/prices")).body.data).toEqual([]);
    const liveProduct = await created(live.post("/v1/products", { name: "Live" }));
    await refused(api.get(`/v1/products/${liveProduct.id}`), 404, "product_not_found");

    const other = jsonClient(
      server.url,
      (await server.admin.merchants.create({ name: "Other" })).apiKeys.test,
    );
    await refused(other.get(`/v1/products/${product.id}`), 404, "product_not_found");
    await refused(other.get(`/v1/prices/${price.id}`), 404, "price_not_found");
    await refused(other.post("/v1/prices", monthly(product.id)), 404, "product_not_found");
    // A price id asked for as a product (and the reverse) is not found either.
    await refused(api.get(`/v1/products/${price.id}`), 404, "product_not_found");
    await refused(api.get(`/v1/prices/${product.id}`), 404, "price_not_found");
  });

  it("replays a retried create with the same Idempotency-Key instead of creating twice", async () => {
    const headers = { "Idempotency-Key": "catalog-product-1" };
    const first = await api.post("/v1/products", { name: "Once" }, headers);
    const again = await api.post("/v1/products", { name: "Once" }, headers);
    expect(first.status).toBe(201);
    expect(again).toEqual(first);
    await refused(api.post("/v1/products", { name: "Twice" }, headers), 409, "idempotency_key_reused");

    const priceHeaders = { "Idempotency-Key": "catalog-price-1" };
    const price = await api.post("/v1/prices", monthly(first.body.id), priceHeaders);
    const retried = await api.post("/v1/prices", monthly(first.body.id), priceHeaders);
    expect(price.status).toBe(201);
    expect(retried).toEqual(price);
    const listed = await api.get(`/v1/prices?productId=${first.body.id}`);
    expect(listed.body.data).toEqual([price.body]);
  });

  it("lists every creation in the audit log with who made it", async () => {
    const { apiKeys } = await server.admin.merchants.create({ name: "Audited" });
    const audited = jsonClient(server.url, apiKeys.test);
    const product = await created(audited.post("/v1/products", { name: "Audited" }));
    const price = await created(audited.post("/v1/prices", monthly(product.id)));
    const log = await audited.get("/v1/audit-log");
    expect(log.body.data.map((e: Json) => [e.action, e.details.productId])).toEqual([
      ["price.created", product.id],
      ["product.created", product.id],
    ]);
    expect(log.body.data[0]).toMatchObject({
      by: { kind: "api_key", env: "test" },
      details: { priceId: price.id, priceType: "recurring", unitAmount: "149.00", interval: "month" },
    });
  });
});

describe("the catalog across a restart", () => {
  it("keeps products, prices and their lists", async () => {
    const product = await created(api.post("/v1/products", { name: "Durable", nameZh: "持久" }));
    const price = await created(api.post("/v1/prices", monthly(product.id, "99.00")));
    const products = (await api.get("/v1/products?limit=100")).body;
    const prices = (await api.get("/v1/prices?limit=100")).body;
    await server.stop();

    server = await startTestServer({ dataDir: dir.path, startTimers: false });
    api = jsonClient(server.url, keys.test);
    expect((await api.get(`/v1/products/${product.id}`)).body).toEqual(product);
    expect((await api.get(`/v1/prices/${price.id}`)).body).toEqual(price);
    expect((await api.get("/v1/products?limit=100")).body).toEqual(products);
    expect((await api.get("/v1/prices?limit=100")).body).toEqual(prices);
    await refused(
      jsonClient(server.url, keys.live).get(`/v1/products/${product.id}`),
      404,
      "product_not_found",
    );
    // The restarted catalog still counts the product's prices and still writes new ones.
    expect((await created(api.post("/v1/prices", monthly(product.id, "199.00")))).productId).toBe(product.id);
  });
});

describe("the catalog in the OpenAPI document", () => {
  it("documents every operation and schema", async () => {
    const document = (await (await fetch(`${server.url}/api/openapi`)).json()) as Json;
    const operations = (path: string) => Object.keys(document.paths[path] ?? {}).sort();
    expect(operations("/v1/products")).toEqual(["get", "post"]);
    expect(operations("/v1/products/{productId}")).toEqual(["get"]);
    expect(operations("/v1/prices")).toEqual(["get", "post"]);
    const schemas = document.components.schemas;
    for (const name of ["CreateProductRequest", "Product", "ProductList", "CreatePriceRequest"]) {
      expect(schemas[name], name).toBeDefined();
    }
    expect(Object.keys(schemas.ProductPrice.properties)).toEqual([
      "id",
      "object",
      "productId",
      "type",
      "unitAmount",
      "currency",
      "nickname",
      "interval",
      "refundWindowDays",
      "createdAt",
    ]);
    expect(schemas.ProductPriceList.properties.data.items).toEqual({
      $ref: "#/components/schemas/ProductPrice",
    });
    // The rate card's usage Price keeps its name.
    expect(schemas.Price).toBeDefined();
    const post = document.paths["/v1/prices"].post;
    expect(post.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/CreatePriceRequest",
    });
    expect(post.parameters).toContainEqual(expect.objectContaining({ name: "Idempotency-Key" }));
    const list = document.paths["/v1/prices"].get.parameters.map((p: Json) => p.name);
    expect(list).toEqual(expect.arrayContaining(["limit", "startingAfter", "productId"]));
  });
});
