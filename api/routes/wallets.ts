import type { Context } from "koa";
import type { Runtime, WalletOperation, WalletCommandInput } from "../../actors/index.js";
import { DomainError } from "../../domain/errors.js";
import { newId } from "../../domain/ids.js";
import { limits } from "../../domain/limits.js";
import { parseDecimalToMicros } from "../../domain/money.js";
import { actorOf, merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import { listPage, listPageAt } from "../pagination.js";
import {
  captureRequest,
  debitRequest,
  emptyRequest,
  externalIdParams,
  freezeRequest,
  grantRequest,
  listQuery,
  reservation,
  reservationList,
  reservationListQuery,
  reservationParams,
  reserveRequest,
  transactionList,
  wallet,
  walletOperation,
} from "../schemas.js";
import { reservationView, transactionFromShare, walletOperationView, walletView } from "../views.js";

/** A positive amount within limits, in micro-units. */
function positiveMicros(amount: string): bigint {
  const parsed = parseDecimalToMicros(amount);
  if (!parsed.ok) throw new DomainError("invalid_amount", `amount ${parsed.reason}`);
  if (parsed.micros <= 0n) throw new DomainError("invalid_amount", "amount must be greater than zero");
  if (parsed.micros > limits.amountMicrosMax)
    throw new DomainError("invalid_amount", "amount is over the maximum");
  return parsed.micros;
}

export function walletOperations(runtime: Runtime): Operation[] {
  const customerOf = (ctx: Context, externalId: string) => {
    const { env, merchantId } = merchantOf(ctx);
    return runtime.customers.require(env, merchantId, externalId);
  };

  /** Runs a wallet command and stores its response with it when an Idempotency-Key came along. */
  const run = async (ctx: Context, externalId: string, status: number, command: WalletCommandInput) => {
    const customer = await customerOf(ctx, externalId);
    const render = (op: WalletOperation) => ({ status, body: walletOperationView(customer, op) });
    // The record names the key that asked: an auditor sees who granted, debited or froze.
    const by = actorOf(ctx);
    const op = await runtime.wallets.execute(
      customer,
      (stamp) => ({ ...command(stamp), by }),
      storedWith(ctx, render),
    );
    return render(op);
  };

  const mutation = {
    method: "post" as const,
    tag: "Wallets",
    auth: "merchant" as const,
    response: walletOperation,
  };
  const base = "/v1/customers/{externalId}/wallet";

  return [
    operation({
      operationId: "retrieveWallet",
      method: "get",
      path: base,
      summary: "Retrieve a customer's CNY wallet: balance, reserved, available and status.",
      tag: "Wallets",
      auth: "merchant",
      params: externalIdParams,
      response: wallet,
      status: 200,
      handle: async (ctx, { params }) => {
        const customer = await customerOf(ctx, params.externalId);
        return { status: 200, body: walletView(customer, await runtime.wallets.state(customer)) };
      },
    }),
    operation({
      operationId: "listWalletTransactions",
      method: "get",
      path: `${base}/transactions`,
      summary: "The wallet's ledger history, newest first.",
      tag: "Wallets",
      auth: "merchant",
      params: externalIdParams,
      query: listQuery,
      response: transactionList,
      status: 200,
      handle: async (ctx, { params, query }) => {
        const customer = await customerOf(ctx, params.externalId);
        const page = await runtime.wallets.transactions(customer, {
          limit: query.limit,
          ...(query.startingAfter !== undefined ? { beforeSeq: Number(query.startingAfter) } : {}),
        });
        const data = page.shares.map((share) => transactionFromShare(share, customer.id));
        return { status: 200, body: listPage(data, page.hasMore) };
      },
    }),
    operation({
      ...mutation,
      operationId: "grantWalletCredit",
      path: `${base}/grants`,
      summary: "Grant promotional credit, with a reason.",
      params: externalIdParams,
      body: grantRequest,
      status: 201,
      handle: (ctx, { params, body }) => {
        const amountMicros = positiveMicros(body.amount);
        const transactionId = newId("wtx");
        return run(ctx, params.externalId, 201, ({ at }) => ({
          type: "wallet.grant",
          amountMicros,
          reason: body.reason,
          transactionId,
          at,
        }));
      },
    }),
    operation({
      ...mutation,
      operationId: "debitWallet",
      path: `${base}/debits`,
      summary: "Debit an amount; refused with insufficient_balance rather than overdrawn.",
      params: externalIdParams,
      body: debitRequest,
      status: 201,
      handle: (ctx, { params, body }) => {
        const amountMicros = positiveMicros(body.amount);
        const transactionId = newId("wtx");
        return run(ctx, params.externalId, 201, ({ at }) => ({
          type: "wallet.debit",
          amountMicros,
          description: body.description ?? null,
          transactionId,
          at,
        }));
      },
    }),
    operation({
      ...mutation,
      operationId: "reserveWalletCredit",
      path: `${base}/reservations`,
      summary: "Hold an amount until captured, released or expired (default 15 minutes).",
      params: externalIdParams,
      body: reserveRequest,
      status: 201,
      handle: (ctx, { params, body }) => {
        const amountMicros = positiveMicros(body.amount);
        const ids = { transactionId: newId("wtx"), reservationId: newId("rsv") };
        const expiresInMs = (body.expiresInSeconds ?? limits.reservationExpirySecondsDefault) * 1000;
        return run(ctx, params.externalId, 201, ({ at }) => ({
          type: "wallet.reserve",
          amountMicros,
          expiresAt: at + expiresInMs,
          ...ids,
          at,
        }));
      },
    }),
    operation({
      operationId: "listActiveReservations",
      method: "get",
      path: `${base}/reservations`,
      summary: "The reservations the wallet holds (active ones), in id order, a page at a time.",
      tag: "Wallets",
      auth: "merchant",
      params: externalIdParams,
      query: reservationListQuery,
      response: reservationList,
      status: 200,
      handle: async (ctx, { params, query }) => {
        const customer = await customerOf(ctx, params.externalId);
        const page = await runtime.wallets.activeReservations(customer, {
          limit: query.limit,
          afterId: query.startingAfter,
        });
        const last = page.reservations[page.reservations.length - 1];
        const data = page.reservations.map(reservationView);
        return { status: 200, body: listPageAt(data, page.hasMore, last?.id ?? null) };
      },
    }),
    operation({
      operationId: "retrieveReservation",
      method: "get",
      path: `${base}/reservations/{reservationId}`,
      summary:
        "Retrieve a reservation, active or finished: a captured one says how much was captured, a released or expired one says so.",
      tag: "Wallets",
      auth: "merchant",
      params: reservationParams,
      response: reservation,
      status: 200,
      handle: async (ctx, { params }) => ({
        status: 200,
        body: reservationView(await reservationOf(ctx, params.externalId, params.reservationId)),
      }),
    }),
    operation({
      ...mutation,
      operationId: "captureReservation",
      path: `${base}/reservations/{reservationId}/capture`,
      summary: "Capture all or part of a reservation; the uncaptured rest is released at once.",
      params: reservationParams,
      body: captureRequest,
      status: 200,
      handle: async (ctx, { params, body }) => {
        const amountMicros = body.amount === undefined ? null : positiveMicros(body.amount);
        await requireActiveReservation(ctx, params.externalId, params.reservationId);
        const transactionId = newId("wtx");
        return settledMeanwhile(
          ctx,
          params.externalId,
          params.reservationId,
          run(ctx, params.externalId, 200, ({ at }) => ({
            type: "wallet.capture",
            reservationId: params.reservationId,
            amountMicros,
            transactionId,
            at,
          })),
        );
      },
    }),
    operation({
      ...mutation,
      operationId: "releaseReservation",
      path: `${base}/reservations/{reservationId}/release`,
      summary: "Release a reservation: its whole amount becomes available again.",
      params: reservationParams,
      body: emptyRequest,
      status: 200,
      handle: async (ctx, { params }) => {
        await requireActiveReservation(ctx, params.externalId, params.reservationId);
        const transactionId = newId("wtx");
        return settledMeanwhile(
          ctx,
          params.externalId,
          params.reservationId,
          run(ctx, params.externalId, 200, ({ at }) => ({
            type: "wallet.release",
            reservationId: params.reservationId,
            transactionId,
            at,
          })),
        );
      },
    }),
    operation({
      ...mutation,
      operationId: "freezeWallet",
      path: `${base}/freeze`,
      summary: "Freeze the wallet: debits, reservations and captures are refused with wallet_frozen.",
      params: externalIdParams,
      body: freezeRequest,
      status: 200,
      handle: (ctx, { params, body }) => {
        const transactionId = newId("wtx");
        return run(ctx, params.externalId, 200, ({ at }) => ({
          type: "wallet.freeze",
          reason: body.reason ?? null,
          transactionId,
          at,
        }));
      },
    }),
    operation({
      ...mutation,
      operationId: "unfreezeWallet",
      path: `${base}/unfreeze`,
      summary: "Unfreeze the wallet.",
      params: externalIdParams,
      body: emptyRequest,
      status: 200,
      handle: (ctx, { params }) => {
        const transactionId = newId("wtx");
        return run(ctx, params.externalId, 200, ({ at }) => ({ type: "wallet.unfreeze", transactionId, at }));
      },
    }),
  ];

  /**
   * The reservation was active when checked, yet the wallet no longer holds it when its turn came: a
   * concurrent capture, release or expiry settled it first. That is 409 reservation_not_active, as
   * the check would have said a moment later, not 404 (which reads as a wrong id).
   */
  async function settledMeanwhile<T>(
    ctx: Context,
    externalId: string,
    reservationId: string,
    outcome: Promise<T>,
  ): Promise<T> {
    try {
      return await outcome;
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== "reservation_not_found") throw error;
      await requireActiveReservation(ctx, externalId, reservationId);
      throw new DomainError(
        "reservation_not_active",
        "the reservation was captured, released or expired by a request that came first",
      );
    }
  }

  async function reservationOf(ctx: Context, externalId: string, reservationId: string) {
    const customer = await customerOf(ctx, externalId);
    return runtime.wallets.reservation(customer.env, customer, reservationId);
  }

  async function requireActiveReservation(ctx: Context, externalId: string, reservationId: string) {
    const entry = await reservationOf(ctx, externalId, reservationId);
    if (entry.status !== "active") {
      throw new DomainError("reservation_not_active", `the reservation is already ${entry.status}`, {
        reservationStatus: entry.status,
      });
    }
  }
}
