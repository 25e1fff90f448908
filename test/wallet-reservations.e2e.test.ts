import BuffMoneyClient, { BuffMoneyAdminClient, type Reservation } from "@buffmoney/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemOf } from "./support/problem.js";
import { restartableServers } from "./support/restartableServers.js";
import { adminToken, startTestServer } from "./support/server.js";

let server: Awaited<ReturnType<typeof startTestServer>>;
let client: BuffMoneyClient;
let live: BuffMoneyClient;
let otherMerchant: BuffMoneyClient;
const { start, stop, tempDir } = restartableServers();

const clientOf = (url: string, apiKey: string) =>
  new BuffMoneyClient({ apiKey, baseUrl: url, maxRetries: 0 });

beforeAll(async () => {
  server = await startTestServer();
  const merchant = await server.admin.merchants.create({ name: "Holds" });
  client = clientOf(server.url, merchant.apiKeys.test);
  live = clientOf(server.url, merchant.apiKeys.live);
  otherMerchant = clientOf(server.url, (await server.admin.merchants.create({ name: "Other" })).apiKeys.test);
});

afterAll(async () => {
  await server.remove();
});

async function fundedCustomer(sdk: BuffMoneyClient, externalId: string, amount = "100") {
  await sdk.customers.create({ externalId });
  await sdk.wallets.grant(externalId, { amount, reason: "seed" });
}

async function activeIds(sdk: BuffMoneyClient, externalId: string, pageSize?: number): Promise<string[]> {
  const ids: string[] = [];
  const params = pageSize === undefined ? {} : { pageSize };
  for await (const reservation of sdk.wallets.listAllReservations(externalId, params))
    ids.push(reservation.id);
  return ids;
}

describe("retrieving a reservation", () => {
  it("reads an active reservation as reserve answered it, then its capture: what was held and what was taken", async () => {
    await fundedCustomer(client, "agent");
    const { reservation } = await client.wallets.reserve("agent", { amount: "20", expiresInSeconds: 600 });
    expect(await client.wallets.retrieveReservation("agent", reservation.id)).toEqual(reservation);
    expect(reservation).toMatchObject({ object: "reservation", status: "active", capturedAmount: null });

    const captured = await client.wallets.capture("agent", reservation.id, { amount: "12.5" });
    const read = await client.wallets.retrieveReservation("agent", reservation.id);
    expect(read).toEqual({
      id: reservation.id,
      object: "reservation",
      amount: "20.00",
      capturedAmount: "12.50",
      status: "captured",
      expiresAt: reservation.expiresAt,
    });
    expect(read).toEqual(captured.reservation);
  });

  it("reads a released reservation as released, with nothing captured", async () => {
    await fundedCustomer(client, "changed_mind");
    const { reservation } = await client.wallets.reserve("changed_mind", { amount: "7.25" });
    const released = await client.wallets.release("changed_mind", reservation.id);
    const read = await client.wallets.retrieveReservation("changed_mind", reservation.id);
    expect(read).toMatchObject({ status: "released", amount: "7.25", capturedAmount: null });
    expect(read).toEqual(released.reservation);
  });

  it("reads an expired reservation as expired once its time passes (a test clock's time)", async () => {
    const start = Date.parse("2026-10-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "slow", testClockId: clock.id });
    await client.wallets.grant("slow", { amount: "5", reason: "seed" });
    const { reservation } = await client.wallets.reserve("slow", { amount: "4", expiresInSeconds: 60 });
    expect(reservation.expiresAt).toBe(new Date(start + 60_000).toISOString());
    expect((await client.wallets.retrieveReservation("slow", reservation.id)).status).toBe("active");

    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 120_000) });
    expect(await client.wallets.retrieveReservation("slow", reservation.id)).toEqual({
      ...reservation,
      status: "expired",
    });
    expect(await client.wallets.retrieve("slow")).toMatchObject({ reserved: "0.00", available: "5.00" });
  });

  it("answers 404 reservation_not_found for an unknown id or another customer's, customer_not_found across environments and merchants", async () => {
    await fundedCustomer(client, "holder");
    await fundedCustomer(client, "bystander");
    const { reservation } = await client.wallets.reserve("holder", { amount: "1" });
    const notFound = (code: string) => ({ status: 404, code });

    expect(await problemOf(client.wallets.retrieveReservation("holder", "rsv_unknown"))).toEqual(
      notFound("reservation_not_found"),
    );
    expect(await problemOf(client.wallets.retrieveReservation("bystander", reservation.id))).toEqual(
      notFound("reservation_not_found"),
    );
    expect(await problemOf(client.wallets.retrieveReservation("nobody", reservation.id))).toEqual(
      notFound("customer_not_found"),
    );
    // The customer exists only in the sandbox: to a live key there is no such customer.
    expect(await problemOf(live.wallets.retrieveReservation("holder", reservation.id))).toEqual(
      notFound("customer_not_found"),
    );
    expect(await problemOf(live.wallets.listReservations("holder"))).toEqual(notFound("customer_not_found"));
    expect(await problemOf(otherMerchant.wallets.retrieveReservation("holder", reservation.id))).toEqual(
      notFound("customer_not_found"),
    );
    // A live customer of the same externalId is another customer: the sandbox hold is not its.
    await fundedCustomer(live, "holder");
    expect(await problemOf(live.wallets.retrieveReservation("holder", reservation.id))).toEqual(
      notFound("reservation_not_found"),
    );
    expect(await activeIds(live, "holder")).toEqual([]);

    const anonymous = await fetch(`${server.url}/v1/customers/holder/wallet/reservations/${reservation.id}`);
    expect(anonymous.status).toBe(401);
  });
});

describe("listing a wallet's active reservations", () => {
  it("lists only the holds still active, in id order, a page at a time", async () => {
    await fundedCustomer(client, "busy");
    await fundedCustomer(client, "neighbour");
    await client.wallets.reserve("neighbour", { amount: "1" });
    expect((await client.wallets.listReservations("busy")).data).toEqual([]);

    const held: Reservation[] = [];
    for (const amount of ["1", "2", "3", "4", "5", "6"])
      held.push((await client.wallets.reserve("busy", { amount, expiresInSeconds: 600 })).reservation);
    await client.wallets.capture("busy", held[0]!.id, { amount: "0.5" });
    await client.wallets.release("busy", held[1]!.id);
    const active = held.slice(2).sort((a, b) => (a.id < b.id ? -1 : 1));

    const first = await client.wallets.listReservations("busy", { limit: 3 });
    expect(first.data).toEqual(active.slice(0, 3));
    expect(first).toMatchObject({ hasMore: true, nextCursor: active[2]!.id });
    const rest = await client.wallets.listReservations("busy", {
      limit: 3,
      startingAfter: first.nextCursor!,
    });
    expect(rest.data).toEqual(active.slice(3));
    expect(rest).toMatchObject({ hasMore: false, nextCursor: null });
    expect(await activeIds(client, "busy", 1)).toEqual(active.map((reservation) => reservation.id));
    expect((await client.wallets.retrieve("busy")).reserved).toBe("18.00");

    for (const limit of [0, 101])
      expect(await problemOf(client.wallets.listReservations("busy", { limit }))).toEqual({
        status: 400,
        code: "invalid_request",
      });
  });
});

describe("reservations across a restart", () => {
  it("reads finished and active reservations the same after the server restarts", async () => {
    const dataDir = (await tempDir()).path;
    let running = await start(dataDir);
    const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: running.url });
    const { apiKeys } = await admin.merchants.create({ name: "Restarting" });
    let sdk = clientOf(running.url, apiKeys.test);
    await fundedCustomer(sdk, "steady");
    const ids: string[] = [];
    for (const amount of ["1", "2", "3"])
      ids.push((await sdk.wallets.reserve("steady", { amount, expiresInSeconds: 600 })).reservation.id);
    await sdk.wallets.capture("steady", ids[0]!);
    await sdk.wallets.release("steady", ids[1]!);
    const before = await Promise.all(ids.map((id) => sdk.wallets.retrieveReservation("steady", id)));
    expect(before.map((reservation) => reservation.status)).toEqual(["captured", "released", "active"]);
    await stop(running);

    running = await start(dataDir);
    sdk = clientOf(running.url, apiKeys.test);
    expect(await Promise.all(ids.map((id) => sdk.wallets.retrieveReservation("steady", id)))).toEqual(before);
    expect((await sdk.wallets.listReservations("steady")).data).toEqual([before[2]]);
  });
});
