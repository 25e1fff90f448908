import type { StoredSnapshot } from "../snapshot.js";
import { snapshotChecksumFinding, unreadableSnapshot } from "./snapshotFindings.js";
import { accounts } from "../../domain/accounts.js";
import { formatMicros, parseDecimalToMicros } from "../../domain/money.js";
import type { Environment } from "../../domain/environment.js";
import { walletKind } from "../../machines/walletKind.js";
import type { WalletContext } from "../../machines/walletTypes.js";
import type { EntityState } from "../../machines/kind.js";
import { keys, seqFromEntityKey } from "../../wal/keys.js";
import type { CommittedRecord } from "../../wal/record.js";
import { replayRecord } from "../replay.js";
import { ChainCheck } from "./chain.js";
import { AuditIntegrityError, FindingList, type Finding } from "./findings.js";
import type { AuditLedger } from "./ledger.js";
import { stepsOf, type RecordStep } from "./steps.js";

export interface VerifyOptions {
  /** Called every `progressEveryRecords` records with the sequence reached and the last stored one. */
  onProgress?: (seq: number, lastSeq: number) => void;
}

export interface VerifyReport {
  ok: boolean;
  /** The last record audited: the head of the copy (a torn tail was dropped when it opened). */
  head: { seq: number; hash: string | null; at: number | null };
  records: number;
  entities: number;
  accounts: number;
  currencies: string[];
  /** Sum of every account per currency: zero in a balanced ledger. */
  totalsMicros: Record<string, bigint>;
  wallets: number;
  /** Wallet commands (whole records and parts) replayed through the machine. */
  stepsReplayed: number;
  idempotencyKeys: number;
  checkpoint: { atSeq: number; matches: boolean } | null;
  findings: Finding[];
  findingsDropped: number;
  ms: number;
}

export const progressEveryRecords = 1_000;

const integer = /^-?\d+$/;
const walletAvailable = /:wallet_available$/;
const walletHeld = /:wallet_held$/;
const walletPrefix = "wallet:";

/** The lowest a wallet account may reach by a step that lowers it. */
function floorOf(account: string, command: RecordStep["command"]): bigint {
  if (!walletAvailable.test(account)) return 0n;
  // A prepaid card may allow a negative wallet: its charge command names the floor it was decided against.
  const floor = command.type === "wallet.charge" ? command.floorMicros : undefined;
  return typeof floor === "string" && integer.test(floor) ? BigInt(floor) : 0n;
}

/** Everything `audit verify` checks, in one pass over the log plus one over the entity index. */
class Verification {
  readonly findings = new FindingList();
  private readonly chain = new ChainCheck();
  private readonly balances = new Map<string, Map<string, bigint>>();
  private readonly consumed = new Map<string, number>();
  private readonly entitySeqs = new Map<string, number[]>();
  private readonly wallets = new Map<string, EntityState<WalletContext>>();
  private readonly walletEnv = new Map<string, string>();
  private readonly diverged = new Set<string>();
  records = 0;
  stepsReplayed = 0;

  constructor(private readonly ledger: AuditLedger) {}

  private readonly report = (finding: Finding) => this.findings.add(finding);

  async scan(options: VerifyOptions): Promise<void> {
    const lastSeq = options.onProgress ? await this.ledger.lastStoredSeq() : 0;
    for await (const entry of this.ledger.rawRecords()) {
      const record = this.chain.feed(entry, this.report);
      if (record) this.check(record);
      if (options.onProgress && this.chain.lastSeq % progressEveryRecords === 0)
        options.onProgress(this.chain.lastSeq, lastSeq);
    }
  }

  private check(record: CommittedRecord): void {
    this.records += 1;
    for (const entity of new Set([record.entity, ...(record.touches ?? [])])) {
      const seqs = this.entitySeqs.get(entity);
      if (seqs) seqs.push(record.seq);
      else this.entitySeqs.set(entity, [record.seq]);
    }
    const amounts = this.checkPostings(record);
    const { steps, problem } = stepsOf(record);
    if (problem)
      this.report({ seq: record.seq, check: "bad_parts", message: problem, entity: record.entity });
    for (const step of steps) this.apply(record, step, amounts);
    this.checkKeys(record);
    this.replay(record, steps);
  }

  /** Amounts are integer micro-units; each currency sums to zero; accounts stay in the record's environment. */
  private checkPostings(record: CommittedRecord): bigint[] {
    const sums = new Map<string, bigint>();
    const amounts = record.postings.map((p, i) => {
      const valid =
        typeof p.account === "string" &&
        p.account !== "" &&
        typeof p.currency === "string" &&
        p.currency !== "" &&
        typeof p.amountMicros === "string" &&
        integer.test(p.amountMicros);
      if (!valid) {
        this.report({ seq: record.seq, check: "bad_amount", message: `posting ${i} is not a valid posting` });
        return 0n;
      }
      const amount = BigInt(p.amountMicros);
      sums.set(p.currency, (sums.get(p.currency) ?? 0n) + amount);
      const env = /^(test|live):/.exec(p.account)?.[1];
      if (env !== undefined && env !== record.env) {
        this.report({
          seq: record.seq,
          check: "cross_environment_posting",
          message: `a ${record.env} record posts to ${p.account}`,
          account: p.account,
        });
      }
      return amount;
    });
    for (const [currency, sum] of sums) {
      if (sum !== 0n) {
        this.report({
          seq: record.seq,
          check: "unbalanced_postings",
          message: `postings sum to ${sum} micros of ${currency}, not 0`,
        });
      }
    }
    return amounts;
  }

  /** Folds the step's postings; a wallet account a step lowers must stay at or above its floor. */
  private apply(record: CommittedRecord, step: RecordStep, amounts: readonly bigint[]): void {
    const lowered = new Map<string, bigint>();
    for (let i = step.from; i < step.to; i++) {
      const p = record.postings[i];
      const amount = amounts[i];
      if (!p || amount === undefined || amount === 0n) continue;
      let perCurrency = this.balances.get(p.account);
      if (!perCurrency) {
        perCurrency = new Map();
        this.balances.set(p.account, perCurrency);
      }
      perCurrency.set(p.currency, (perCurrency.get(p.currency) ?? 0n) + amount);
      if (walletAvailable.test(p.account) || walletHeld.test(p.account)) {
        const key = `${p.currency} ${p.account}`;
        lowered.set(key, (lowered.get(key) ?? 0n) + amount);
      }
    }
    for (const [key, delta] of lowered) {
      if (delta >= 0n) continue;
      const space = key.indexOf(" ");
      const currency = key.slice(0, space);
      const account = key.slice(space + 1);
      const balance = this.balances.get(account)?.get(currency) ?? 0n;
      const floor = floorOf(account, step.command);
      if (balance < floor) {
        this.report({
          seq: record.seq,
          check: "negative_wallet",
          message: `${account} fell to ${balance} micros ${currency}, below its floor ${floor} (${step.command.type})`,
          account,
          entity: step.entity,
        });
      }
    }
  }

  private checkKeys(record: CommittedRecord): void {
    for (const key of record.keys) {
      const first = this.consumed.get(key);
      if (first !== undefined) {
        this.report({
          seq: record.seq,
          check: "key_reused",
          message: `idempotency key ${key} was already consumed by record ${first}`,
        });
      } else {
        this.consumed.set(key, record.seq);
      }
    }
  }

  /**
   * Every stored idempotent response was written with the record that consumed its key, and a
   * wallet operation's response names that record and its amount: a retry is answered from these
   * bytes, which the hash chain does not cover, so they are held to the records that do.
   */
  async checkStoredResponses(): Promise<void> {
    const prefix = keys.idempotency("");
    for await (const { key, value } of this.ledger.range(prefix, `${prefix.slice(0, -1)}"`)) {
      const scope = key.slice(prefix.length);
      const seq = this.consumed.get(scope);
      if (seq === undefined) {
        this.report({
          seq: null,
          check: "stored_response",
          message: `the stored response for ${scope} names no record that consumed its key`,
        });
        continue;
      }
      const problem = await this.walletResponseProblem(value, seq);
      if (problem !== null) this.report({ seq, check: "stored_response", message: `${scope}: ${problem}` });
    }
  }

  private async walletResponseProblem(stored: string, seq: number): Promise<string | null> {
    let transaction: { sequence?: unknown; amount?: unknown; id?: unknown } | undefined;
    try {
      transaction = (JSON.parse(stored) as { body?: { transaction?: typeof transaction } }).body?.transaction;
    } catch {
      return "the stored response is not JSON";
    }
    if (transaction === undefined || transaction === null || typeof transaction !== "object") return null;
    if (transaction.sequence !== seq)
      return `the response names record ${String(transaction.sequence)}, but its key was consumed by record ${seq}`;
    const record = await this.ledger.record(seq);
    const fact = record?.facts.find(
      (f) => (f as { transactionId?: unknown }).transactionId === transaction.id,
    ) as { amountMicros?: unknown } | undefined;
    if (fact === undefined) return `record ${seq} has no fact for transaction ${String(transaction.id)}`;
    if (typeof fact.amountMicros !== "string" || typeof transaction.amount !== "string") return null;
    const parsed = parseDecimalToMicros(transaction.amount.replace(/^-/, ""));
    const recorded = BigInt(fact.amountMicros);
    if (!parsed.ok || parsed.micros !== (recorded < 0n ? -recorded : recorded))
      return `the response says ${transaction.amount}, record ${seq} says ${formatMicros(recorded)}`;
    return null;
  }

  /** Every wallet the record changes, through the machine again; the recorded facts and postings must come out. */
  private replay(record: CommittedRecord, steps: readonly RecordStep[]): void {
    const entities = new Set(steps.map((s) => s.entity).filter((e) => e.startsWith(walletPrefix)));
    for (const entity of entities) {
      if (this.diverged.has(entity)) continue;
      const before = this.wallets.get(entity) ?? walletKind.initialState();
      try {
        const after = replayRecord(walletKind, before, record, entity.slice(walletPrefix.length), entity);
        this.wallets.set(entity, after);
        this.walletEnv.set(entity, record.env);
        this.stepsReplayed += steps.filter((s) => s.entity === entity).length;
      } catch (error) {
        this.diverged.add(entity);
        this.report({
          seq: record.seq,
          check: "replay_diverged",
          message: `${error instanceof Error ? error.message : String(error)}; later records of ${entity} are not replayed`,
          entity,
        });
      }
    }
  }

  /** A replayed wallet is what its two ledger accounts hold. */
  checkWalletsAgainstLedger(): void {
    for (const [entity, state] of this.wallets) {
      if (this.diverged.has(entity)) continue;
      const env = this.walletEnv.get(entity) as Environment;
      const customerId = entity.slice(walletPrefix.length);
      const available = accounts.walletAvailable(env, customerId);
      const held = accounts.walletHeld(env, customerId);
      const { balanceMicros, reservedMicros } = state.context;
      const pairs: Array<[string, bigint]> = [
        [available, balanceMicros - reservedMicros],
        [held, reservedMicros],
      ];
      for (const [account, expected] of pairs) {
        const posted = this.balances.get(account)?.get("CNY") ?? 0n;
        if (posted !== expected) {
          this.report({
            seq: this.entitySeqs.get(entity)?.at(-1) ?? null,
            check: "wallet_ledger_mismatch",
            message: `${account} holds ${posted} micros but the replayed wallet says ${expected}`,
            entity,
            account,
          });
        }
      }
    }
  }

  /** Sums every account per currency; the ledger as a whole must balance. */
  totals(): Record<string, bigint> {
    const totals: Record<string, bigint> = {};
    for (const perCurrency of this.balances.values())
      for (const [currency, amount] of perCurrency) totals[currency] = (totals[currency] ?? 0n) + amount;
    for (const [currency, total] of Object.entries(totals)) {
      if (total !== 0n)
        this.report({
          seq: null,
          check: "ledger_unbalanced",
          message: `all accounts sum to ${total} micros of ${currency}`,
        });
    }
    return Object.fromEntries(Object.entries(totals).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** The per-entity index (`e!<entity>!<seq>`) lists exactly the records naming the entity. */
  async checkEntityIndex(): Promise<void> {
    if (this.ledger.indexDiscarded !== null) {
      this.report({
        seq: null,
        check: "entity_index",
        message: `the entity index could not be opened (${this.ledger.indexDiscarded}); the server builds it again from the log`,
      });
    }
    let entity: string | null = null;
    let indexed: number[] = [];
    const seen = new Set<string>();
    const flush = () => {
      if (entity === null) return;
      seen.add(entity);
      this.compareIndex(entity, indexed, this.entitySeqs.get(entity) ?? []);
    };
    for await (const key of this.ledger.entityIndexKeys()) {
      const name = key.slice(2, key.length - 17);
      if (key.charAt(key.length - 17) !== "!" || name === "") {
        this.report({ seq: null, check: "entity_index", message: `index key "${key}" is malformed` });
        continue;
      }
      if (name !== entity) {
        flush();
        entity = name;
        indexed = [];
      }
      indexed.push(seqFromEntityKey(key));
    }
    flush();
    for (const [name, seqs] of this.entitySeqs) if (!seen.has(name)) this.compareIndex(name, [], seqs);
  }

  private compareIndex(entity: string, indexed: readonly number[], logged: readonly number[]): void {
    const inLog = new Set(logged);
    const inIndex = new Set(indexed);
    const unlisted = logged.filter((seq) => !inIndex.has(seq));
    const stray = indexed.filter((seq) => !inLog.has(seq));
    if (unlisted[0] !== undefined) {
      this.report({
        seq: unlisted[0],
        check: "entity_index",
        message: `the index of ${entity} misses record ${unlisted[0]}${unlisted.length > 1 ? ` and ${unlisted.length - 1} more` : ""}`,
        entity,
      });
    }
    if (stray[0] !== undefined) {
      this.report({
        seq: stray[0],
        check: "entity_index",
        message: `the index of ${entity} lists record ${stray[0]}${stray.length > 1 ? ` and ${stray.length - 1} more` : ""}, which the log does not hold for it`,
        entity,
      });
    }
  }

  /**
   * Each snapshot's bytes are as written (its checksum): the server would not use a changed one, but
   * it is a sign of a failing disk or a hand in the store. Whether its content equals a replay is
   * compare-snapshots' work.
   */
  async checkSnapshotChecksums(): Promise<void> {
    for await (const { key, value } of this.ledger.range("s!", "s~")) {
      const entity = key.slice(2);
      let parsed: StoredSnapshot;
      try {
        parsed = JSON.parse(value) as StoredSnapshot;
      } catch {
        this.report(unreadableSnapshot(key, entity));
        continue;
      }
      const corrupt = snapshotChecksumFinding(entity, parsed);
      if (corrupt) this.report(corrupt);
    }
  }

  /** The runtime's checkpoint names a record it saw durable: the log must still hold it, unchanged. */
  async checkCheckpoint(): Promise<VerifyReport["checkpoint"]> {
    const stored = await this.ledger.get(keys.meta("checkpoint"));
    if (stored === undefined) return null;
    let checkpoint: { atSeq: number; hash: string };
    try {
      checkpoint = JSON.parse(stored) as { atSeq: number; hash: string };
    } catch {
      this.report({ seq: null, check: "checkpoint_mismatch", message: "the checkpoint cannot be read" });
      return null;
    }
    if (checkpoint.atSeq > this.chain.lastSeq) {
      this.report({
        seq: checkpoint.atSeq,
        check: "checkpoint_ahead_of_log",
        message: `the checkpoint was taken at record ${checkpoint.atSeq}, but the log ends at ${this.chain.lastSeq}: durable records were lost`,
      });
      return { atSeq: checkpoint.atSeq, matches: false };
    }
    const anchor = await this.ledger.record(checkpoint.atSeq).catch((error: unknown) => {
      if (error instanceof AuditIntegrityError) return undefined;
      throw error;
    });
    const matches = checkpoint.atSeq === 0 || anchor?.hash === checkpoint.hash;
    if (!matches) {
      this.report({
        seq: checkpoint.atSeq,
        check: "checkpoint_mismatch",
        message: `record ${checkpoint.atSeq} no longer has the hash the checkpoint saw`,
      });
    }
    return { atSeq: checkpoint.atSeq, matches };
  }

  head(): VerifyReport["head"] {
    return { seq: this.chain.lastSeq, hash: this.chain.lastHash, at: this.chain.lastAt };
  }

  accountCount(): number {
    return this.balances.size;
  }

  currencies(): string[] {
    const all = new Set<string>();
    for (const perCurrency of this.balances.values())
      for (const currency of perCurrency.keys()) all.add(currency);
    return [...all].sort();
  }

  counts(): { entities: number; wallets: number; keys: number } {
    return { entities: this.entitySeqs.size, wallets: this.wallets.size, keys: this.consumed.size };
  }
}

/**
 * Audits the whole log: contiguous sequence, checksums, hash chain, ledger time, balanced postings,
 * wallets never below their floor, idempotency keys consumed once, replay of every wallet command
 * reproducing its recorded fact and postings, wallets equal to their ledger accounts, the entity
 * index, and the runtime's checkpoint. Reports every finding rather than stopping at the first.
 */
export async function verifyLedger(ledger: AuditLedger, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const run = new Verification(ledger);
  await run.scan(options);
  run.checkWalletsAgainstLedger();
  const totalsMicros = run.totals();
  await run.checkEntityIndex();
  await run.checkStoredResponses();
  const checkpoint = await run.checkCheckpoint();
  await run.checkSnapshotChecksums();
  const counts = run.counts();
  return {
    ok: run.findings.count === 0,
    head: run.head(),
    records: run.records,
    entities: counts.entities,
    accounts: run.accountCount(),
    currencies: run.currencies(),
    totalsMicros,
    wallets: counts.wallets,
    stepsReplayed: run.stepsReplayed,
    idempotencyKeys: counts.keys,
    checkpoint,
    findings: run.findings.items,
    findingsDropped: run.findings.dropped,
    ms: performance.now() - started,
  };
}
