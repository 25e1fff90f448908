import { describe, expect, it } from "vitest";
import BuffMoneyClient, {
  BuffMoneyError,
  type CreatePriceParams,
  type Entitlement,
  type EntitlementCheck,
  type Invoice,
  type InvoicePaymentStart,
  type Product,
  type ProductPrice,
  type Purchase,
  type Refund,
  type Subscription,
  type TestClock,
} from "@buffmoney/sdk";
import { json, scriptedServer, type Received, type Reply } from "./support/scriptedServer.js";

function clientFor(baseUrl: string): BuffMoneyClient {
  return new BuffMoneyClient({ apiKey: "bm_test_abc123", baseUrl, retryDelayMsBase: 1 });
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

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

/** A 200 with raw bytes, as the invoice PDF route answers. */
function bytes(body: Uint8Array, contentType: string): Reply {
  return (_request, response) => {
    response.writeHead(200, { "Content-Type": contentType, "Content-Length": String(body.byteLength) });
    response.end(body);
  };
}

function page<T>(data: T[], nextCursor: string | null = null) {
  return { object: "list", data, hasMore: nextCursor !== null, nextCursor };
}

/** What each request was: method, URL, body. */
function calls(received: Received[]): Array<[string, string, unknown]> {
  return received.map((request) => [request.method, request.url, request.body]);
}

function idempotencyKeys(received: Received[]): unknown[] {
  return received.map((request) => request.headers["idempotency-key"]);
}

const createdAt = "2026-03-01T00:00:00.000Z";

const product: Product = {
  id: "prod_1",
  object: "product",
  name: "Pro",
  nameZh: "专业版",
  description: null,
  createdAt,
};

const monthly: ProductPrice = {
  id: "price_1",
  object: "price",
  productId: "prod_1",
  type: "recurring",
  unitAmount: "149.00",
  currency: "CNY",
  nickname: "Pro monthly",
  interval: "month",
  refundWindowDays: null,
  createdAt,
};

const subscription: Subscription = {
  id: "sub_1",
  object: "subscription",
  customerExternalId: "user_42",
  productId: "prod_1",
  priceId: "price_1",
  status: "active",
  currentPeriodStart: createdAt,
  currentPeriodEnd: "2026-04-01T00:00:00.000Z",
  cancelAtPeriodEnd: false,
  canceledAt: null,
  cancelReason: null,
  pendingChange: null,
  credit: "0.00",
  latestInvoiceId: "inv_1",
  createdAt,
};

const purchase: Purchase = {
  id: "pur_1",
  object: "purchase",
  customerExternalId: "user_42",
  productId: "prod_2",
  priceId: "price_2",
  amount: "99.00",
  status: "paid",
  invoiceId: "inv_2",
  refundableUntil: "2026-03-08T00:00:00.000Z",
  paidAt: createdAt,
  refundedAt: null,
  createdAt,
};

const invoice: Invoice = {
  id: "inv_1",
  object: "invoice",
  number: "BM-TEST-000001",
  customerExternalId: "user_42",
  purpose: "subscription",
  status: "open",
  subscriptionId: "sub_1",
  purchaseId: null,
  periodStart: createdAt,
  periodEnd: "2026-04-01T00:00:00.000Z",
  currency: "CNY",
  amount: "149.00",
  lines: [
    {
      description: "Pro monthly",
      amount: "149.00",
      kind: "subscription",
      quantity: "1",
      unitAmount: "149.00",
    },
  ],
  subtotal: "149.00",
  creditApplied: "0.00",
  total: "149.00",
  checkoutUrl: "http://localhost:4000/checkout/inv_1",
  dueAt: "2026-03-08T00:00:00.000Z",
  createdAt,
  finalizedAt: createdAt,
  paidAt: null,
  voidedAt: null,
  voidReason: null,
  refundedAmount: "0.00",
  payment: null,
  refunds: [],
};

const paymentStart: InvoicePaymentStart = {
  object: "invoice_payment",
  invoiceId: "inv_1",
  paymentId: "pay_1",
  checkoutUrl: "http://localhost:4000/checkout/inv_1",
  amount: "149.00",
  currency: "CNY",
  channel: "wechat_native",
  expiresAt: "2026-03-01T02:00:00.000Z",
  status: "pending",
  action: { type: "qr_code", codeUrl: "weixin://wxpay/bizpayurl?pr=abc" },
};

const entitlement: Entitlement = {
  object: "entitlement",
  productId: "prod_1",
  source: "subscription",
  sourceId: "sub_1",
  priceId: "price_1",
  grantedAt: createdAt,
  endsAt: null,
};

const clock: TestClock = {
  id: "clock_1",
  object: "test_clock",
  name: "renewals",
  frozenTime: createdAt,
  status: "ready",
  createdAt,
};

describe("products", () => {
  it("creates, retrieves by encoded id and lists a page", async () => {
    const server = await scriptedServer(json(201, product), json(200, product), json(200, page([product])));
    const client = clientFor(server.baseUrl);

    expect(await client.products.create({ name: "Pro", nameZh: "专业版" })).toEqual(product);
    expect(await client.products.retrieve("prod/1")).toEqual(product);
    expect(await client.products.list({ limit: 10, startingAfter: "7" })).toEqual(page([product]));

    expect(calls(server.received)).toEqual([
      ["POST", "/v1/products", { name: "Pro", nameZh: "专业版" }],
      ["GET", "/v1/products/prod%2F1", undefined],
      ["GET", "/v1/products?limit=10&startingAfter=7", undefined],
    ]);
    expect(server.received[0]?.headers["idempotency-key"]).toMatch(uuidPattern);
    expect(idempotencyKeys(server.received.slice(1))).toEqual([undefined, undefined]);
  });

  it("listAll follows nextCursor until hasMore is false", async () => {
    const second = { ...product, id: "prod_2" };
    const server = await scriptedServer(json(200, page([product], "8")), json(200, page([second])));

    const ids: string[] = [];
    for await (const item of clientFor(server.baseUrl).products.listAll({ pageSize: 1 })) ids.push(item.id);

    expect(ids).toEqual(["prod_1", "prod_2"]);
    expect(server.received.map((request) => request.url)).toEqual([
      "/v1/products?limit=1",
      "/v1/products?limit=1&startingAfter=8",
    ]);
  });
});

describe("prices", () => {
  it("creates recurring and one-time prices, the caller's idempotency key when given", async () => {
    const oneTime: ProductPrice = {
      ...monthly,
      id: "price_2",
      type: "one_time",
      interval: null,
      refundWindowDays: 7,
    };
    const server = await scriptedServer(json(201, monthly), json(201, oneTime));
    const client = clientFor(server.baseUrl);

    expect(
      await client.prices.create({
        productId: "prod_1",
        type: "recurring",
        unitAmount: "149.00",
        interval: "month",
      }),
    ).toEqual(monthly);
    await client.prices.create(
      { productId: "prod_1", type: "one_time", unitAmount: "99.00", currency: "CNY", refundWindowDays: 7 },
      { idempotencyKey: "price-lifetime" },
    );

    expect(calls(server.received)).toEqual([
      [
        "POST",
        "/v1/prices",
        { productId: "prod_1", type: "recurring", unitAmount: "149.00", interval: "month" },
      ],
      [
        "POST",
        "/v1/prices",
        { productId: "prod_1", type: "one_time", unitAmount: "99.00", currency: "CNY", refundWindowDays: 7 },
      ],
    ]);
    const [generated, given] = idempotencyKeys(server.received);
    expect(generated).toMatch(uuidPattern);
    expect(given).toBe("price-lifetime");
  });

  it("types interval as recurring-only and refundWindowDays as one-time-only", () => {
    const base = { productId: "p", unitAmount: "1.00" };
    // @ts-expect-error interval belongs to recurring prices
    const oneTime: CreatePriceParams = { ...base, type: "one_time", interval: "month" };
    // @ts-expect-error refundWindowDays belongs to one-time prices
    const recurring: CreatePriceParams = { ...base, type: "recurring", refundWindowDays: 7 };
    expect([oneTime.type, recurring.type]).toEqual(["one_time", "recurring"]);
  });

  it("retrieves one and lists a product's prices", async () => {
    const server = await scriptedServer(json(200, monthly), json(200, page([monthly])), json(200, page([])));
    const client = clientFor(server.baseUrl);

    expect(await client.prices.retrieve("price_1")).toEqual(monthly);
    expect((await client.prices.list({ productId: "prod_1", limit: 5 })).data).toEqual([monthly]);
    await client.prices.list();

    expect(calls(server.received)).toEqual([
      ["GET", "/v1/prices/price_1", undefined],
      ["GET", "/v1/prices?productId=prod_1&limit=5", undefined],
      ["GET", "/v1/prices", undefined],
    ]);
  });

  it("listAll keeps the filter on every page", async () => {
    const server = await scriptedServer(json(200, page([monthly], "3")), json(200, page([])));

    const items: ProductPrice[] = [];
    for await (const item of clientFor(server.baseUrl).prices.listAll({ productId: "prod_1" }))
      items.push(item);

    expect(items).toEqual([monthly]);
    expect(server.received.map((request) => request.url)).toEqual([
      "/v1/prices?productId=prod_1",
      "/v1/prices?productId=prod_1&startingAfter=3",
    ]);
  });
});

describe("subscriptions", () => {
  it("creates, retrieves and lists a customer's subscriptions", async () => {
    const server = await scriptedServer(
      json(201, subscription),
      json(200, subscription),
      json(200, page([subscription])),
    );
    const client = clientFor(server.baseUrl);

    expect(await client.subscriptions.create({ customerExternalId: "user 42", priceId: "price_1" })).toEqual(
      subscription,
    );
    expect(await client.subscriptions.retrieve("sub_1")).toEqual(subscription);
    await client.subscriptions.list({ customerExternalId: "user 42", limit: 20, startingAfter: "11" });

    expect(calls(server.received)).toEqual([
      ["POST", "/v1/subscriptions", { customerExternalId: "user 42", priceId: "price_1" }],
      ["GET", "/v1/subscriptions/sub_1", undefined],
      ["GET", "/v1/subscriptions?customerExternalId=user+42&limit=20&startingAfter=11", undefined],
    ]);
    expect(server.received[0]?.headers["idempotency-key"]).toMatch(uuidPattern);
  });

  it("changes plan, cancels and resumes with a key on every POST, {} when there are no parameters", async () => {
    const pending = { ...subscription, pendingChange: { priceId: "price_0" } };
    const canceling = { ...subscription, cancelAtPeriodEnd: true };
    const server = await scriptedServer(
      json(200, pending),
      json(200, subscription),
      json(200, canceling),
      json(200, { ...subscription, status: "canceled" }),
      json(200, subscription),
    );
    const client = clientFor(server.baseUrl);

    expect(
      await client.subscriptions.changePlan("sub_1", { priceId: "price_0", downgrade: "period_end" }),
    ).toEqual(pending);
    await client.subscriptions.changePlan("sub_1", { priceId: "price_3" }, { idempotencyKey: "upgrade-1" });
    expect(await client.subscriptions.cancel("sub_1")).toEqual(canceling);
    await client.subscriptions.cancel("sub_1", { at: "immediately" });
    await client.subscriptions.resume("sub_1");

    expect(calls(server.received)).toEqual([
      ["POST", "/v1/subscriptions/sub_1/change-plan", { priceId: "price_0", downgrade: "period_end" }],
      ["POST", "/v1/subscriptions/sub_1/change-plan", { priceId: "price_3" }],
      ["POST", "/v1/subscriptions/sub_1/cancel", {}],
      ["POST", "/v1/subscriptions/sub_1/cancel", { at: "immediately" }],
      ["POST", "/v1/subscriptions/sub_1/resume", {}],
    ]);
    const keys = idempotencyKeys(server.received);
    expect(keys[1]).toBe("upgrade-1");
    for (const key of [keys[0], ...keys.slice(2)]) expect(key).toMatch(uuidPattern);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("retries a 503 under the one idempotency key", async () => {
    const server = await scriptedServer(problem(503, "overloaded"), json(201, subscription));

    await clientFor(server.baseUrl).subscriptions.create({
      customerExternalId: "user_42",
      priceId: "price_1",
    });

    const [first, retry] = idempotencyKeys(server.received);
    expect(first).toMatch(uuidPattern);
    expect(retry).toBe(first);
  });

  it("throws the problem's code without retrying a 4xx", async () => {
    const server = await scriptedServer(problem(409, "subscription_canceled", { requestId: "req_9" }));

    const change = clientFor(server.baseUrl).subscriptions.changePlan("sub_1", { priceId: "price_3" });

    await expect(change).rejects.toBeInstanceOf(BuffMoneyError);
    await expect(change).rejects.toMatchObject({
      code: "subscription_canceled",
      status: 409,
      message: "subscription_canceled happened",
      requestId: "req_9",
    });
    expect(server.received).toHaveLength(1);
  });
});

describe("purchases", () => {
  it("creates, retrieves and refunds, with and without a reason", async () => {
    const refund: Refund = {
      id: "rfd_1",
      object: "refund",
      invoiceId: "inv_9",
      paymentId: "pay_9",
      amount: "99.00",
      currency: "CNY",
      reason: "changed my mind",
      status: "pending",
      createdAt: "2026-03-02T00:00:00.000Z",
    };
    const server = await scriptedServer(
      json(201, { ...purchase, status: "pending", paidAt: null }),
      json(200, purchase),
      json(201, refund),
      json(201, refund),
    );
    const client = clientFor(server.baseUrl);

    await client.purchases.create({ customerExternalId: "user_42", priceId: "price_2" });
    expect(await client.purchases.retrieve("pur_1")).toEqual(purchase);
    expect(
      await client.purchases.refund("pur_1", { reason: "changed my mind" }, { idempotencyKey: "refund-1" }),
    ).toEqual(refund);
    await client.purchases.refund("pur_1");

    expect(calls(server.received)).toEqual([
      ["POST", "/v1/purchases", { customerExternalId: "user_42", priceId: "price_2" }],
      ["GET", "/v1/purchases/pur_1", undefined],
      ["POST", "/v1/purchases/pur_1/refund", { reason: "changed my mind" }],
      ["POST", "/v1/purchases/pur_1/refund", {}],
    ]);
    const keys = idempotencyKeys(server.received);
    expect([keys[1], keys[2]]).toEqual([undefined, "refund-1"]);
    expect(keys[0]).toMatch(uuidPattern);
    expect(keys[3]).toMatch(uuidPattern);
  });

  it("maps a refused refund to BuffMoneyError", async () => {
    const server = await scriptedServer(problem(409, "refund_window_closed"));

    await expect(clientFor(server.baseUrl).purchases.refund("pur_1")).rejects.toMatchObject({
      name: "BuffMoneyError",
      code: "refund_window_closed",
      status: 409,
    });
  });
});

describe("invoices", () => {
  it("lists with every filter, and with none", async () => {
    const server = await scriptedServer(json(200, page([invoice], "5")), json(200, page([])));
    const client = clientFor(server.baseUrl);

    const first = await client.invoices.list({
      customerExternalId: "user_42",
      subscriptionId: "sub_1",
      status: "open",
      limit: 1,
      startingAfter: "6",
    });
    await client.invoices.list();

    expect(first).toEqual(page([invoice], "5"));
    expect(calls(server.received)).toEqual([
      [
        "GET",
        "/v1/invoices?customerExternalId=user_42&subscriptionId=sub_1&status=open&limit=1&startingAfter=6",
        undefined,
      ],
      ["GET", "/v1/invoices", undefined],
    ]);
  });

  it("listAll pages through a subscription's invoices", async () => {
    const renewal = { ...invoice, id: "inv_3" };
    const server = await scriptedServer(json(200, page([renewal], "9")), json(200, page([invoice])));

    const ids: string[] = [];
    for await (const item of clientFor(server.baseUrl).invoices.listAll({
      subscriptionId: "sub_1",
      pageSize: 1,
    })) {
      ids.push(item.id);
    }

    expect(ids).toEqual(["inv_3", "inv_1"]);
    expect(server.received.map((request) => request.url)).toEqual([
      "/v1/invoices?subscriptionId=sub_1&limit=1",
      "/v1/invoices?subscriptionId=sub_1&limit=1&startingAfter=9",
    ]);
  });

  it("starts a payment with a key and the channel's parameters", async () => {
    const server = await scriptedServer(json(201, paymentStart), json(201, paymentStart));
    const client = clientFor(server.baseUrl);

    expect(await client.invoices.pay("inv_1", { channel: "wechat_native" })).toEqual(paymentStart);
    await client.invoices.pay(
      "inv/1",
      { channel: "alipay_page", returnUrl: "https://example.com/paid" },
      { idempotencyKey: "pay-inv-1" },
    );

    expect(calls(server.received)).toEqual([
      ["POST", "/v1/invoices/inv_1/payments", { channel: "wechat_native" }],
      [
        "POST",
        "/v1/invoices/inv%2F1/payments",
        { channel: "alipay_page", returnUrl: "https://example.com/paid" },
      ],
    ]);
    const [generated, given] = idempotencyKeys(server.received);
    expect(generated).toMatch(uuidPattern);
    expect(given).toBe("pay-inv-1");
  });

  it("answers the PDF as the body's exact bytes, asking for application/pdf", async () => {
    // Not valid UTF-8: decoding it as text would corrupt it.
    const file = Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x00, 0xff, 0xfe, 0x80, 0x0a]);
    const server = await scriptedServer(bytes(file, "application/pdf"));

    const pdf = await clientFor(server.baseUrl).invoices.pdf("inv_1");

    expect(pdf).toBeInstanceOf(Uint8Array);
    expect(Array.from(pdf)).toEqual(Array.from(file));
    const [request] = server.received;
    expect([request?.method, request?.url]).toEqual(["GET", "/v1/invoices/inv_1/pdf"]);
    expect(request?.headers["accept"]).toBe("application/pdf");
    expect(request?.headers["idempotency-key"]).toBeUndefined();
  });

  it("reads a PDF route's error as problem+json, retrying a 503", async () => {
    const file = new TextEncoder().encode("%PDF-1.7");
    const server = await scriptedServer(
      problem(503, "overloaded"),
      bytes(file, "application/pdf; charset=binary"),
      problem(404, "invoice_not_found", { requestId: "req_4" }),
    );
    const client = clientFor(server.baseUrl);

    expect(new TextDecoder().decode(await client.invoices.pdf("inv_1"))).toBe("%PDF-1.7");
    const missing = client.invoices.pdf("inv_404");

    await expect(missing).rejects.toBeInstanceOf(BuffMoneyError);
    await expect(missing).rejects.toMatchObject({
      code: "invoice_not_found",
      status: 404,
      requestId: "req_4",
    });
    expect(server.received).toHaveLength(3);
  });

  it("refuses a 2xx that is not a PDF rather than hand it out as one", async () => {
    const server = await scriptedServer(json(200, invoice));

    await expect(clientFor(server.baseUrl).invoices.pdf("inv_1")).rejects.toMatchObject({
      code: "invalid_response",
      status: 200,
      message: 'Expected application/pdf, got "application/json"',
    });
    expect(server.received).toHaveLength(1);
  });
});

describe("entitlements", () => {
  it("lists a customer's entitlements and checks one product, ids encoded", async () => {
    const check: EntitlementCheck = {
      object: "entitlement_check",
      productId: "prod_1",
      hasAccess: true,
      entitlement,
    };
    const denied: EntitlementCheck = {
      object: "entitlement_check",
      productId: "prod/9",
      hasAccess: false,
      entitlement: null,
    };
    const server = await scriptedServer(
      json(200, { object: "list", data: [entitlement] }),
      json(200, check),
      json(200, denied),
    );
    const client = clientFor(server.baseUrl);

    expect((await client.entitlements.list("user/42")).data).toEqual([entitlement]);
    expect(await client.entitlements.check("user_42", "prod_1")).toEqual(check);
    expect((await client.entitlements.check("user_42", "prod/9")).hasAccess).toBe(false);

    expect(calls(server.received)).toEqual([
      ["GET", "/v1/customers/user%2F42/entitlements", undefined],
      ["GET", "/v1/customers/user_42/entitlements/prod_1", undefined],
      ["GET", "/v1/customers/user_42/entitlements/prod%2F9", undefined],
    ]);
  });
});

describe("testClocks", () => {
  it("sends a Date frozenTime as its ISO 8601 string and leaves strings as given", async () => {
    const server = await scriptedServer(json(201, clock), json(201, clock));
    const client = clientFor(server.baseUrl);

    expect(
      await client.testClocks.create({ frozenTime: new Date(Date.UTC(2026, 2, 1)), name: "renewals" }),
    ).toEqual(clock);
    await client.testClocks.create(
      { frozenTime: "2026-03-01T08:00:00+08:00" },
      { idempotencyKey: "clock-1" },
    );

    expect(calls(server.received)).toEqual([
      ["POST", "/v1/test-clocks", { frozenTime: "2026-03-01T00:00:00.000Z", name: "renewals" }],
      ["POST", "/v1/test-clocks", { frozenTime: "2026-03-01T08:00:00+08:00" }],
    ]);
    const [generated, given] = idempotencyKeys(server.received);
    expect(generated).toMatch(uuidPattern);
    expect(given).toBe("clock-1");
  });

  it("advances to a Date and retrieves", async () => {
    const advanced: TestClock = { ...clock, frozenTime: "2026-04-01T00:00:00.000Z" };
    const server = await scriptedServer(json(200, advanced), json(200, advanced));
    const client = clientFor(server.baseUrl);

    expect(
      await client.testClocks.advance("clock_1", { frozenTime: new Date(Date.UTC(2026, 3, 1)) }),
    ).toEqual(advanced);
    expect(await client.testClocks.retrieve("clock_1")).toEqual(advanced);

    expect(calls(server.received)).toEqual([
      ["POST", "/v1/test-clocks/clock_1/advance", { frozenTime: "2026-04-01T00:00:00.000Z" }],
      ["GET", "/v1/test-clocks/clock_1", undefined],
    ]);
    expect(server.received[0]?.headers["idempotency-key"]).toMatch(uuidPattern);
  });

  it("rejects an invalid Date before sending anything", async () => {
    const server = await scriptedServer();
    const client = clientFor(server.baseUrl);

    await expect(client.testClocks.create({ frozenTime: new Date(Number.NaN) })).rejects.toThrow(
      /Invalid Date/,
    );
    await expect(client.testClocks.advance("clock_1", { frozenTime: new Date("soon") })).rejects.toThrow(
      /Invalid Date/,
    );
    expect(server.received).toHaveLength(0);
  });

  it("surfaces the server's refusal of a live key", async () => {
    const server = await scriptedServer(problem(403, "sandbox_only"));
    const live = new BuffMoneyClient({ apiKey: "bm_live_abc123", baseUrl: server.baseUrl });

    await expect(live.testClocks.create({ frozenTime: createdAt })).rejects.toMatchObject({
      code: "sandbox_only",
      status: 403,
    });
    expect(server.received).toHaveLength(1);
  });
});

describe("customers.create on a test clock", () => {
  it("sends testClockId with the customer", async () => {
    const customer = {
      id: "cus_1",
      object: "customer",
      externalId: "user_42",
      name: null,
      email: null,
      environment: "test",
      createdAt,
    };
    const server = await scriptedServer(json(201, customer));

    await clientFor(server.baseUrl).customers.create({ externalId: "user_42", testClockId: "clock_1" });

    expect(calls(server.received)).toEqual([
      ["POST", "/v1/customers", { externalId: "user_42", testClockId: "clock_1" }],
    ]);
    expect(server.received[0]?.headers["idempotency-key"]).toMatch(uuidPattern);
  });
});
