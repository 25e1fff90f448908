import BuffMoneyClient, { BuffMoneyError } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limits } from "../domain/limits.js";
import { startTestServer } from "./support/server.js";

let server: Awaited<ReturnType<typeof startTestServer>>;
let client: BuffMoneyClient;
let live: BuffMoneyClient;
let otherMerchant: BuffMoneyClient;

beforeAll(async () => {
  server = await startTestServer();
  const merchant = await server.admin.merchants.create({ name: "深度求索 Demo" });
  client = new BuffMoneyClient({ apiKey: merchant.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
  live = new BuffMoneyClient({ apiKey: merchant.apiKeys.live, baseUrl: server.url, maxRetries: 0 });
  const other = await server.admin.merchants.create({ name: "Other" });
  otherMerchant = new BuffMoneyClient({ apiKey: other.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
});

afterAll(async () => {
  await server.remove();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "none";
  } catch (error) {
    if (error instanceof BuffMoneyError) return error.code;
    throw error;
  }
}

describe("wallets through the SDK", () => {
  it("creates a customer, grants, debits, and lists the history newest first", async () => {
    const customer = await client.customers.create({
      externalId: "user_42",
      name: "张三",
      email: "zhang@example.com",
    });
    expect(customer).toMatchObject({ externalId: "user_42", name: "张三", environment: "test" });
    expect(await client.customers.retrieve("user_42")).toEqual(customer);

    await client.wallets.grant("user_42", { amount: "100.00", reason: "welcome credit" });
    const debit = await client.wallets.debit("user_42", { amount: "0.15", description: "1 image" });
    expect(debit.wallet).toMatchObject({
      balance: "99.85",
      available: "99.85",
      reserved: "0.00",
      status: "active",
    });
    expect(debit.transaction).toMatchObject({ type: "debit", amount: "0.15", balanceAfter: "99.85" });

    const page = await client.wallets.transactions("user_42", { limit: 1 });
    expect(page.data.map((t) => t.type)).toEqual(["debit"]);
    expect(page.hasMore).toBe(true);
    const next = await client.wallets.transactions("user_42", {
      limit: 10,
      startingAfter: page.nextCursor ?? "",
    });
    expect(next.data.map((t) => t.type)).toEqual(["grant"]);
    expect(next.hasMore).toBe(false);
    const all = [];
    for await (const t of client.wallets.listAllTransactions("user_42", { pageSize: 1 })) all.push(t.type);
    expect(all).toEqual(["debit", "grant"]);
  });

  it("same Idempotency-Key and body → the same response; different body → idempotency_key_reused", async () => {
    await client.customers.create({ externalId: "idem" });
    await client.wallets.grant("idem", { amount: "10", reason: "r" });
    const first = await client.wallets.debit("idem", { amount: "1.00" }, { idempotencyKey: "debit-1" });
    const again = await client.wallets.debit("idem", { amount: "1.00" }, { idempotencyKey: "debit-1" });
    expect(again).toEqual(first);
    expect(
      await codeOf(client.wallets.debit("idem", { amount: "2.00" }, { idempotencyKey: "debit-1" })),
    ).toBe("idempotency_key_reused");
    expect((await client.wallets.retrieve("idem")).balance).toBe("9.00");
  });

  it("refuses a debit past the available balance with insufficient_balance, writing nothing", async () => {
    await client.customers.create({ externalId: "poor" });
    await client.wallets.grant("poor", { amount: "1.00", reason: "r" });
    expect(await codeOf(client.wallets.debit("poor", { amount: "1.000001" }))).toBe("insufficient_balance");
    const history = await client.wallets.transactions("poor");
    expect(history.data).toHaveLength(1);
  });

  it("reserves, captures part (the rest is released at once), and refuses a second capture", async () => {
    await client.customers.create({ externalId: "agent" });
    await client.wallets.grant("agent", { amount: "50", reason: "r" });
    const reserved = await client.wallets.reserve("agent", { amount: "20", expiresInSeconds: 600 });
    expect(reserved.wallet).toMatchObject({ balance: "50.00", reserved: "20.00", available: "30.00" });
    expect(reserved.reservation).toMatchObject({ status: "active", amount: "20.00" });
    const captured = await client.wallets.capture("agent", reserved.reservation.id, { amount: "12.5" });
    expect(captured.wallet).toMatchObject({ balance: "37.50", reserved: "0.00", available: "37.50" });
    expect(captured.reservation).toMatchObject({
      status: "captured",
      capturedAmount: "12.50",
      amount: "20.00",
    });
    expect(await codeOf(client.wallets.capture("agent", reserved.reservation.id))).toBe(
      "reservation_not_active",
    );
    const second = await client.wallets.reserve("agent", { amount: "5" });
    const released = await client.wallets.release("agent", second.reservation.id);
    expect(released.wallet.available).toBe("37.50");
    expect(await codeOf(client.wallets.release("agent", "rsv_unknown"))).toBe("reservation_not_found");
  });

  it("expires a reservation on its own", async () => {
    await client.customers.create({ externalId: "expiring" });
    await client.wallets.grant("expiring", { amount: "5", reason: "r" });
    await client.wallets.reserve("expiring", { amount: "4", expiresInSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(await client.wallets.retrieve("expiring")).toMatchObject({ reserved: "0.00", available: "5.00" });
    expect((await client.wallets.transactions("expiring")).data[0]?.type).toBe("expiry");
  });

  it("a frozen wallet refuses debits and reservations with wallet_frozen until unfrozen", async () => {
    await client.customers.create({ externalId: "risky" });
    await client.wallets.grant("risky", { amount: "5", reason: "r" });
    const frozen = await client.wallets.freeze("risky", { reason: "chargeback review" });
    expect(frozen.wallet.status).toBe("frozen");
    expect(await codeOf(client.wallets.debit("risky", { amount: "1" }))).toBe("wallet_frozen");
    expect(await codeOf(client.wallets.reserve("risky", { amount: "1" }))).toBe("wallet_frozen");
    await client.wallets.unfreeze("risky");
    expect((await client.wallets.debit("risky", { amount: "1" })).wallet.balance).toBe("4.00");
  });

  it("keeps sandbox, live and other merchants apart: customer_not_found across the line", async () => {
    await client.customers.create({ externalId: "sandbox_only" });
    expect(await codeOf(live.customers.retrieve("sandbox_only"))).toBe("customer_not_found");
    expect(await codeOf(live.wallets.debit("sandbox_only", { amount: "1" }))).toBe("customer_not_found");
    expect(await codeOf(otherMerchant.wallets.retrieve("sandbox_only"))).toBe("customer_not_found");
    await live.customers.create({ externalId: "sandbox_only" });
    await live.wallets.grant("sandbox_only", { amount: "3", reason: "r" });
    expect((await client.wallets.retrieve("sandbox_only")).balance).toBe("0.00");
  });

  it("refuses bad input with problem+json and a stable code, changing nothing", async () => {
    await client.customers.create({ externalId: "strict" });
    expect(await codeOf(client.wallets.debit("strict", { amount: "1.1234567" }))).toBe("invalid_request");
    expect(await codeOf(client.wallets.debit("strict", { amount: "-1" }))).toBe("invalid_request");
    expect(await codeOf(client.wallets.debit("strict", { amount: "0" }))).toBe("invalid_amount");
    expect(await codeOf(client.customers.create({ externalId: "strict" }))).toBe("customer_exists");
    // Ids that UTF-8 would change or a URL path cannot carry: refused, not merged with another.
    for (const externalId of ["X\udc00", "\ud800Y", "a\u0000b", "tab\there"])
      expect(await codeOf(client.customers.create({ externalId }))).toBe("invalid_request");
    expect((await client.customers.create({ externalId: "用户_😀" })).externalId).toBe("用户_😀");
    expect((await client.wallets.transactions("strict")).data).toHaveLength(0);
  });

  it("refuses a reservation past the wallet's open-reservation limit with 409, not a server error", async () => {
    await client.customers.create({ externalId: "many_holds" });
    await client.wallets.grant("many_holds", { amount: "2000", reason: "r" });
    for (let held = 0; held < limits.reservationsPerWalletMax; held += 50) {
      const batch = Math.min(50, limits.reservationsPerWalletMax - held);
      await Promise.all(
        Array.from({ length: batch }, () => client.wallets.reserve("many_holds", { amount: "1" })),
      );
    }
    const refused = await client.wallets.reserve("many_holds", { amount: "1" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BuffMoneyError);
    expect(refused).toMatchObject({ code: "reservations_limit_reached", status: 409 });
    expect((await client.wallets.retrieve("many_holds")).reserved).toBe(
      `${limits.reservationsPerWalletMax}.00`,
    );
  });

  it("settles a reservation once under racing captures and releases; the losers hear 409, not 404", async () => {
    await client.customers.create({ externalId: "racing_holds" });
    await client.wallets.grant("racing_holds", { amount: "100", reason: "r" });
    for (let round = 0; round < 10; round++) {
      const { reservation } = await client.wallets.reserve("racing_holds", { amount: "5" });
      const outcomes = await Promise.all(
        [
          client.wallets.capture("racing_holds", reservation.id, { amount: "2" }),
          client.wallets.capture("racing_holds", reservation.id),
          client.wallets.release("racing_holds", reservation.id),
          client.wallets.capture("racing_holds", reservation.id, { amount: "4.99" }),
        ].map((call) =>
          call.then(
            () => "ok",
            (error: unknown) => (error instanceof BuffMoneyError ? error.code : "other"),
          ),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === "ok")).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome !== "ok")).toEqual([
        "reservation_not_active",
        "reservation_not_active",
        "reservation_not_active",
      ]);
    }
    expect((await client.wallets.retrieve("racing_holds")).reserved).toBe("0.00");
  });

  it("lists customers in externalId order, a page at a time, in their own environment only", async () => {
    const { apiKeys } = await server.admin.merchants.create({ name: "Listing" });
    const own = new BuffMoneyClient({ apiKey: apiKeys.test, baseUrl: server.url, maxRetries: 0 });
    const ownLive = new BuffMoneyClient({ apiKey: apiKeys.live, baseUrl: server.url, maxRetries: 0 });
    const ids = ["b_2", "a_1", "用户", "c_3", "b_1", "😀"];
    for (const externalId of ids) await own.customers.create({ externalId });
    await ownLive.customers.create({ externalId: "live_only" });
    const utf8Order = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const first = await own.customers.list({ limit: 4 });
    expect(first.data.map((c) => c.externalId)).toEqual(utf8Order.slice(0, 4));
    expect(first).toMatchObject({ hasMore: true, nextCursor: utf8Order[3] });
    const rest = await own.customers.list({ limit: 4, startingAfter: first.nextCursor ?? "" });
    expect(rest.data.map((c) => c.externalId)).toEqual(utf8Order.slice(4));
    expect(rest).toMatchObject({ hasMore: false, nextCursor: null });
    const all: string[] = [];
    for await (const customer of own.customers.listAll({ pageSize: 1 })) all.push(customer.externalId);
    expect(all).toEqual(utf8Order);
    expect((await ownLive.customers.list()).data.map((c) => c.externalId)).toEqual(["live_only"]);
  });

  it("records which key asked for each wallet change", async () => {
    await client.customers.create({ externalId: "traced" });
    const grant = await client.wallets.grant("traced", { amount: "3", reason: "r" });
    const record = await server.runtime.log.getRecord(grant.transaction.sequence);
    expect(record?.command).toMatchObject({
      type: "wallet.grant",
      by: { kind: "api_key", env: "test", keyId: expect.any(String) },
    });
  });

  it("creates one customer per externalId when many create it at once", async () => {
    for (let round = 0; round < 5; round++) {
      const externalId = `racer_${round}`;
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () =>
          client.customers.create({ externalId }).then(
            (customer) => customer.id,
            (error: unknown) => (error instanceof BuffMoneyError ? error.code : "other"),
          ),
        ),
      );
      const created = outcomes.filter((outcome) => outcome.startsWith("cus_"));
      expect(created).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === "customer_exists")).toHaveLength(19);
      expect((await client.customers.retrieve(externalId)).id).toBe(created[0]);
    }
  });
});
