import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toLoggable } from "../domain/bigintJson.js";
import { assertBalanced, unbalancedCurrencies, type Posting } from "../domain/postings.js";
import { availableMicros, walletKind, type WalletCommand } from "../machines/index.js";
import type { EntityState } from "../machines/kind.js";
import type { WalletContext } from "../machines/walletTypes.js";
import { replayRecord } from "../snapshots/replay.js";
import { genesisHash, type CommittedRecord } from "../wal/record.js";
import { when } from "./support/walletGiven.js";

const owner = { env: "test", merchantId: "mer_1", entityId: "cus_1" };
const reservationIds = ["r1", "r2", "r3"];

/** Commands with amounts in whole fen up to ¥50, times that move forward, and a few reservation ids. */
const command = fc.oneof(
  fc.record({ type: fc.constant("wallet.grant" as const), fen: fc.integer({ min: 1, max: 5_000 }) }),
  fc.record({ type: fc.constant("wallet.debit" as const), fen: fc.integer({ min: 1, max: 5_000 }) }),
  fc.record({
    type: fc.constant("wallet.reserve" as const),
    fen: fc.integer({ min: 1, max: 5_000 }),
    id: fc.constantFrom(...reservationIds),
    ttl: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({
    type: fc.constant("wallet.capture" as const),
    fen: fc.option(fc.integer({ min: 1, max: 5_000 })),
    id: fc.constantFrom(...reservationIds),
  }),
  fc.record({ type: fc.constant("wallet.release" as const), id: fc.constantFrom(...reservationIds) }),
  fc.record({ type: fc.constant("wallet.expire" as const), id: fc.constantFrom(...reservationIds) }),
  fc.record({ type: fc.constant("wallet.freeze" as const) }),
  fc.record({ type: fc.constant("wallet.unfreeze" as const) }),
);

type Generated = fc.Arbitrary<Array<{ step: number; c: ReturnType<typeof command.generate>["value"] }>>;
const scenario = fc.array(fc.record({ step: fc.integer({ min: 0, max: 20 }), c: command }), {
  minLength: 1,
  maxLength: 60,
}) as Generated;

function toCommand(c: ReturnType<typeof command.generate>["value"], i: number, at: number): WalletCommand {
  const base = { transactionId: `wtx_${i}`, at };
  const micros = (fen: number) => BigInt(fen) * 10_000n;
  switch (c.type) {
    case "wallet.grant":
      return { ...base, type: c.type, amountMicros: micros(c.fen), reason: "gen" };
    case "wallet.debit":
      return { ...base, type: c.type, amountMicros: micros(c.fen), description: null };
    case "wallet.reserve":
      return {
        ...base,
        type: c.type,
        amountMicros: micros(c.fen),
        reservationId: `${c.id}_${i}`,
        expiresAt: at + c.ttl,
      };
    case "wallet.capture":
      return {
        ...base,
        type: c.type,
        reservationId: c.id,
        amountMicros: c.fen === null ? null : micros(c.fen),
      };
    case "wallet.release":
    case "wallet.expire":
      return { ...base, type: c.type, reservationId: c.id };
    case "wallet.freeze":
      return { ...base, type: c.type, reason: null };
    case "wallet.unfreeze":
      return { ...base, type: c.type };
  }
}

/** Reservation ids are made unique per reserve; later commands aim at the most recent one with that stem. */
function aim(commandIn: WalletCommand, latest: Map<string, string>): WalletCommand {
  if (commandIn.type === "wallet.reserve") {
    latest.set(commandIn.reservationId.split("_")[0] ?? "", commandIn.reservationId);
    return commandIn;
  }
  if ("reservationId" in commandIn)
    return { ...commandIn, reservationId: latest.get(commandIn.reservationId) ?? commandIn.reservationId };
  return commandIn;
}

describe("ledger invariants (property-based)", () => {
  it("refuses exactly the postings that leave some currency unbalanced, naming the change only then", () => {
    const posting = fc.record({
      account: fc.constantFrom("test:a", "test:b"),
      currency: fc.constantFrom("CNY", "USD", "EUR"),
      amountMicros: fc.bigInt({ min: -50n, max: 50n }).map(String),
    });
    // Mostly balanced sets: each posting followed by its opposite, then up to two more (which may
    // cancel out across currencies, and must not count as balanced).
    const postings = fc
      .tuple(fc.array(posting, { maxLength: 4 }), fc.array(posting, { maxLength: 2 }))
      .map(([pairs, extra]) => [
        ...pairs.flatMap((p) => [p, { ...p, amountMicros: String(-BigInt(p.amountMicros)) }]),
        ...extra,
      ]);
    fc.assert(
      fc.property(postings, (set) => {
        let named = 0;
        const check = () =>
          assertBalanced(set, () => {
            named += 1;
            return "the change";
          });
        if (unbalancedCurrencies(set).size > 0) {
          expect(check).toThrow(/postings do not balance for the change/);
          expect(named).toBe(1);
        } else {
          expect(check).not.toThrow();
          expect(named).toBe(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("postings balance, available never goes negative, balances are folds of postings, replay reproduces the live state", () => {
    fc.assert(
      fc.property(scenario, (steps) => {
        let state: EntityState<WalletContext> = walletKind.initialState();
        let at = 1_000;
        const sums = new Map<string, bigint>();
        const records: CommittedRecord[] = [];
        const latest = new Map<string, string>();
        steps.forEach(({ step, c }, i) => {
          at += step;
          const next = aim(toCommand(c, i, at), latest);
          const result = when(state, next);
          if (!result.ok) return;
          const postings: Posting[] = walletKind.postingsOf(result.fact, owner);
          expect(unbalancedCurrencies(postings).size).toBe(0);
          for (const p of postings) sums.set(p.account, (sums.get(p.account) ?? 0n) + BigInt(p.amountMicros));
          state = result.state;
          expect(availableMicros(state.context) >= 0n).toBe(true);
          expect(state.context.reservedMicros >= 0n).toBe(true);
          records.push({
            seq: records.length + 1,
            at,
            prevHash: genesisHash,
            hash: genesisHash,
            env: "test",
            merchantId: owner.merchantId,
            entity: "wallet:cus_1",
            command: toLoggable(next) as CommittedRecord["command"],
            facts: [toLoggable(result.fact) as CommittedRecord["facts"][number]],
            postings,
            keys: [],
          });
        });
        const available = sums.get("test:customer:cus_1:wallet_available") ?? 0n;
        const held = sums.get("test:customer:cus_1:wallet_held") ?? 0n;
        expect(available).toBe(availableMicros(state.context));
        expect(held).toBe(state.context.reservedMicros);
        expect(available + held).toBe(state.context.balanceMicros);
        let replayed = walletKind.initialState();
        for (const record of records) replayed = replayRecord(walletKind, replayed, record, "cus_1");
        expect(replayed).toEqual(state);
      }),
      { numRuns: 400 },
    );
  });

  it("replay detects a record whose facts were altered", () => {
    const grant: WalletCommand = {
      type: "wallet.grant",
      amountMicros: 5_000_000n,
      reason: "x",
      transactionId: "t1",
      at: 1,
    };
    const result = when(walletKind.initialState(), grant);
    if (!result.ok) throw new Error("grant rejected");
    const record: CommittedRecord = {
      seq: 7,
      at: 1,
      prevHash: genesisHash,
      hash: genesisHash,
      env: "test",
      merchantId: "mer_1",
      entity: "wallet:cus_1",
      command: toLoggable(grant) as CommittedRecord["command"],
      facts: [{ ...(toLoggable(result.fact) as CommittedRecord["facts"][number]), amountMicros: "6000000" }],
      postings: walletKind.postingsOf(result.fact, owner),
      keys: [],
    };
    expect(() => replayRecord(walletKind, walletKind.initialState(), record, "cus_1")).toThrow(
      /ledger record 7/,
    );
  });
});
