import type { Environment } from "../domain/environment.js";
import { DomainError, type ErrorCode } from "../domain/errors.js";
import { limits } from "../domain/limits.js";
import type { EntityState } from "../machines/kind.js";
import { walletEntity } from "../machines/walletKind.js";
import type { WalletCommand, WalletContext, WalletFact, WalletRejection } from "../machines/walletTypes.js";
import type { Log } from "../wal/log.js";
import type { IndexOp } from "../wal/record.js";
import type { Customer } from "./customers.js";
import type { CommandContext, EntityRegistry } from "./registry.js";
import { WalletShares } from "./walletShares.js";
import type { LedgerWalletFact, WalletShare } from "./walletRecordFacts.js";
import {
  reservationKey,
  walletIndexOps,
  type ExpiryTimerPlace,
  type ReservationEntry,
} from "./walletIndexes.js";

export type WalletRegistry = EntityRegistry<WalletContext, WalletCommand, WalletFact>;

/** The outcome of an accepted wallet command, as known before the write (sequence and time included). */
export interface WalletOperation {
  fact: WalletFact;
  state: EntityState<WalletContext>;
  seq: number;
  at: number;
}

export type WalletCommandInput = (ctx: CommandContext) => WalletCommand;

/** Customer wallets: commands go through the wallet actor; reads see only durable state. */
/**
 * A sandbox customer on a test clock: its wallet commands carry the clock's time, and its reservations
 * expire when the clock passes them (billing sets this; see actors/billingClock.ts).
 */
export interface WalletClocks {
  now(customer: Customer): Promise<number>;
  expiryPlace(customer: Customer): ExpiryTimerPlace;
}

export class WalletService {
  private clocks: WalletClocks | undefined;

  /** Each wallet's part of its records, its share of usage batches kept in the index once read. */
  readonly shares: WalletShares;

  constructor(
    private readonly log: Log,
    readonly registry: WalletRegistry,
  ) {
    this.shares = new WalletShares(log);
  }

  useClocks(clocks: WalletClocks): void {
    this.clocks = clocks;
  }

  async state(customer: Customer): Promise<EntityState<WalletContext>> {
    const resident = await this.registry.read(walletEntity(customer.id), customer.id);
    return resident.committed;
  }

  /** Runs a command; a rejection becomes a DomainError with the machine's code. */
  async execute(
    customer: Customer,
    command: WalletCommandInput,
    idempotency?: (operation: WalletOperation) => { scope: string; op: IndexOp },
    options: { at?: number } = {},
  ): Promise<WalletOperation> {
    const owner = { customerId: customer.id, env: customer.env, merchantId: customer.merchantId };
    const clocks = customer.testClockId ? this.clocks : undefined;
    // A test clock's customer lives on the clock's time (or the time a clock timer fired at).
    const at = options.at ?? (clocks ? await clocks.now(customer) : undefined);
    const place = clocks ? clocks.expiryPlace(customer) : undefined;
    const outcome = await this.registry.execute(
      { env: customer.env, merchantId: customer.merchantId },
      walletEntity(customer.id),
      customer.id,
      {
        command: at === undefined ? command : (ctx) => command({ ...ctx, at }),
        indexOps: (fact) => walletIndexOps(fact, owner, place),
        result: (fact, next, ctx) => ({ fact, state: next, seq: ctx.seq, at: ctx.at }),
        ...(idempotency ? { idempotency } : {}),
      },
    );
    if (!outcome.ok) throw walletRefusal(outcome.code);
    return outcome.result;
  }

  /**
   * The wallet's part of each of its records, newest first, before `beforeSeq` when paging. Its
   * share of a record that changed many wallets comes from the index; only its own records are read.
   */
  async transactions(
    customer: Customer,
    options: { limit: number; beforeSeq?: number },
  ): Promise<{ shares: WalletShare[]; hasMore: boolean }> {
    const shares: WalletShare[] = [];
    let listed = 0;
    for await (const share of this.shares.of(walletEntity(customer.id), {
      reverse: true,
      limit: options.limit + 1,
      ...(options.beforeSeq !== undefined ? { beforeSeq: options.beforeSeq } : {}),
    })) {
      if (++listed > options.limit) return { shares, hasMore: true };
      shares.push(share);
    }
    return { shares, hasMore: false };
  }

  /**
   * The usage charged or accrued to the customer's wallet, oldest first. With `occurredFrom`, only
   * records that can hold events from then on are read: newest first, stopping at the first one
   * written more than the future tolerance before `occurredFrom`. Ledger time only grows with the
   * sequence, and ingest refuses events more than that ahead of it, so no older record can hold a
   * later event. A test-clock customer's events follow the clock, not ledger time: all are read.
   */
  async usageFacts(customer: Customer, occurredFrom?: number): Promise<LedgerWalletFact[]> {
    const entity = walletEntity(customer.id);
    const stopBelow =
      occurredFrom === undefined || customer.testClockId !== null
        ? -Infinity
        : occurredFrom - limits.usageFutureToleranceMs;
    const newestFirst: LedgerWalletFact[][] = [];
    for await (const share of this.shares.of(entity, { reverse: true })) {
      if (share.at < stopBelow) break;
      // A wallet's own records (grants, debits) hold no usage.
      if (!share.own) newestFirst.push(share.facts);
    }
    return newestFirst.reverse().flat();
  }

  /**
   * One page of the reservations the wallet holds (active ones; finished ones are read one by one
   * with `reservation`), in id order, after `afterId` when paging.
   */
  async activeReservations(
    customer: Customer,
    options: { limit: number; afterId?: string | undefined },
  ): Promise<{ reservations: ReservationEntry[]; hasMore: boolean }> {
    const { afterId } = options;
    const held = Object.entries((await this.state(customer)).context.reservations)
      .filter(([id]) => afterId === undefined || id > afterId)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const owner = { customerId: customer.id, env: customer.env, merchantId: customer.merchantId };
    const reservations = held
      .slice(0, options.limit)
      .map(([id, { amountMicros, expiresAt }]): ReservationEntry => ({
        id,
        ...owner,
        status: "active",
        amountMicros: amountMicros.toString(),
        capturedMicros: null,
        expiresAt,
      }));
    return { reservations, hasMore: held.length > options.limit };
  }

  /** Any reservation the wallet ever made, with its outcome: the index entry its records keep current. */
  async reservation(env: Environment, customer: Customer, id: string): Promise<ReservationEntry> {
    const stored = await this.log.get(reservationKey(id));
    const entry = stored === undefined ? undefined : (JSON.parse(stored) as ReservationEntry);
    if (!entry || entry.env !== env || entry.customerId !== customer.id) {
      throw new DomainError("reservation_not_found", `no reservation ${id} on this wallet`);
    }
    return entry;
  }
}

/** Each of the wallet machine's refusals: every one is an API error code, so the compiler holds the table whole. */
const messages: Record<WalletRejection & ErrorCode, string> = {
  insufficient_balance: "the wallet's available balance is lower than the amount",
  wallet_frozen: "the wallet is frozen: it refuses debits, reservations and captures",
  wallet_already_frozen: "the wallet is already frozen",
  wallet_not_frozen: "the wallet is not frozen",
  reservation_not_found:
    "the reservation is not held by this wallet (captured, released, expired or unknown)",
  reservation_expired: "the reservation has expired and can no longer be captured",
  reservation_not_expired: "the reservation has not expired yet",
  capture_exceeds_reservation: "the capture amount is larger than the reservation",
  reservations_limit_reached: "the wallet holds the maximum number of open reservations",
};

function walletRefusal(code: string): DomainError {
  return Object.hasOwn(messages, code)
    ? new DomainError(code as WalletRejection & ErrorCode, messages[code as keyof typeof messages])
    : new DomainError("internal_error", `the wallet refused with an unknown code: ${code}`);
}

// Fails to compile when the machine gains a refusal the error table does not map to HTTP.
const everyRefusalHasAStatus: WalletRejection extends ErrorCode ? true : never = true;
void everyRefusalHasAStatus;
