import { randomBytes } from "node:crypto";
import { limits } from "../domain/limits.js";
import { walletKind } from "../machines/walletKind.js";
import { loadAtCheckpoint, type LoadedEntity } from "../snapshots/load.js";
import { replayRecord } from "../snapshots/replay.js";
import type { WalletCommand, WalletContext, WalletFact } from "../machines/walletTypes.js";
import { LogIntegrityError } from "../wal/errors.js";
import { Log, type LogOptions } from "../wal/log.js";
import { keys } from "../wal/keys.js";
import type { CommittedRecord } from "../wal/record.js";
import { readEntityRecords } from "./entityRecords.js";
import { walletSharesFormat } from "./walletShares.js";
import { CustomerDirectory } from "./customers.js";
import { RecordFeed } from "./feed.js";
import { IdempotencyStore } from "./idempotency.js";
import { MerchantDirectory, sha256Hex } from "./merchants.js";
import { EntityRegistry } from "./registry.js";
import { TimerSweeper } from "./timers.js";
import { WalletService } from "./wallets.js";
import { RateCardDirectory } from "./rateCards.js";
import { listEarlierRateCards } from "./rateCardList.js";
import { MetricDirectory } from "./metrics.js";
import { UsageService } from "./usage.js";
import { invoiceKind } from "../machines/invoiceKind.js";
import { paymentKind } from "../machines/paymentOrderKind.js";
import { PaymentLedger } from "./paymentRecords.js";
import { PaymentService, type CollectionOptions } from "./payments.js";
import { EventCatalogue } from "./events.js";
import { WebhookService, type WebhookOptions } from "./webhooks.js";
import { MerchantBalances } from "./merchantBalances.js";
import { ProductCatalog } from "./catalog.js";
import { TestClockDirectory } from "./testClocks.js";
import { BillingService, type BillingOptions } from "./billing.js";
import { BillingClock } from "./billingClock.js";
import { PostpaidUsage } from "./postpaidUsage.js";
import { billingInvoiceSource } from "./billingInvoiceSource.js";
import { openSecretBox, type SecretBox } from "./secretBox.js";
import { InvoiceDocuments, type InvoiceSource, type RenderInvoicePdf } from "./invoiceDocuments.js";
import { InvoiceMailOutbox, type InvoiceMailPolicy, type InvoiceMailSend } from "./invoiceMail.js";

/** Tail records replayed together at recovery: the wallets they touch are loaded in one batch. */
const recoveryChunkRecords = 1_000;
const recoveryChunkEntities = 10_000;

export interface RuntimeOptions {
  dataDir: string;
  /** When set, this token is the admin credential; otherwise one is generated on first start. */
  adminToken?: string | undefined;
  residentWalletsMax?: number | undefined;
  snapshotIntervalRecords?: number;
  startTimers?: boolean;
  log?: LogOptions;
  /** CNY collection: the payment gateway (bin/ adapts channels/ to it) and the public URL. */
  collection?: CollectionOptions;
  /** Webhook delivery: the HTTP sender (injected by bin/), the retry policy, where webhooks may go. */
  webhooks?: WebhookOptions;
  /** Seals secrets at rest (32 bytes, base64); otherwise a key generated into `<dataDir>/secret.key`. */
  secretKey?: string | undefined;
  /** Invoice PDFs (served by the API) and, with `send`, invoice emails; bin/ builds them from effects/. */
  invoiceEffects?: InvoiceEffects | undefined;
  /** Subscription grace, dunning and first-invoice expiry. */
  billing?: BillingOptions;
}

export interface InvoiceEffects {
  renderPdf: RenderInvoicePdf;
  /** Without it no invoice email is sent (no SMTP configured); PDFs are still served. */
  send?: InvoiceMailSend | undefined;
  mail?: Partial<InvoiceMailPolicy>;
}

interface Checkpoint {
  atSeq: number;
  hash: string;
}

export interface RecoveryReport {
  headSeq: number;
  checkpointSeq: number;
  replayedRecords: number;
  replayedEntities: number;
  ms: number;
}

/**
 * Everything that holds state, opened in order: the log (verified), the actors (tail replayed
 * from the last checkpoint), the durable timers. Closing flushes and snapshots.
 */
export class Runtime {
  readonly feed = new RecordFeed();
  readonly idempotency: IdempotencyStore;
  readonly merchants: MerchantDirectory;
  readonly customers: CustomerDirectory;
  readonly wallets: WalletService;
  readonly timers: TimerSweeper;
  readonly rateCards: RateCardDirectory;
  readonly metrics: MetricDirectory;
  readonly usage: UsageService;
  readonly payments: PaymentService;
  readonly events: EventCatalogue;
  readonly webhooks: WebhookService;
  /** Merchants' ledger balances (payable, prepaid credit sold, …), folded from postings. */
  readonly balances: MerchantBalances;
  /** Finalized billing invoices as documents and PDFs, once billing sets the source. */
  readonly invoiceDocuments: InvoiceDocuments;
  /** Emails finalized and paid billing invoices; null without an injected sender. */
  readonly invoiceMail: InvoiceMailOutbox | null;
  /** Products and their immutable prices. */
  readonly catalog: ProductCatalog;
  /** Sandbox test clocks; the billing engine plugs in with `testClocks.setAdvancer`. */
  readonly testClocks: TestClockDirectory;
  /** Subscriptions, one-time purchases and their invoices. */
  readonly billing: BillingService;
  /** Set when this start generated the admin token: shown once, never stored. */
  generatedAdminToken: string | null = null;
  adminTokenSha256 = "";
  recovery: RecoveryReport = { headSeq: 0, checkpointSeq: 0, replayedRecords: 0, replayedEntities: 0, ms: 0 };
  private recordsSinceCheckpoint = 0;
  private checkpointing: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private readonly snapshotIntervalRecords: number;

  private constructor(
    readonly log: Log,
    options: RuntimeOptions,
    secretBox: SecretBox,
  ) {
    const publish = this.publish.bind(this);
    this.idempotency = new IdempotencyStore(log, secretBox);
    this.merchants = new MerchantDirectory(log, publish);
    this.customers = new CustomerDirectory(log, publish);
    const registry = new EntityRegistry<WalletContext, WalletCommand, WalletFact>(log, walletKind, publish, {
      residentMax: options.residentWalletsMax ?? limits.residentActorsMax,
    });
    this.wallets = new WalletService(log, registry);
    this.timers = new TimerSweeper(log, this.wallets);
    const payments = new PaymentLedger(
      log,
      publish,
      new EntityRegistry(log, paymentKind, publish),
      new EntityRegistry(log, invoiceKind, publish),
      registry,
    );
    this.payments = new PaymentService(log, payments, this.merchants, options.collection);
    this.timers.addKind(this.payments.timerKind());
    this.rateCards = new RateCardDirectory(log, publish);
    this.metrics = new MetricDirectory(log, publish);
    this.usage = new UsageService(log, registry, this.customers, this.rateCards, this.metrics);
    this.events = new EventCatalogue(log, this.feed);
    this.webhooks = new WebhookService(log, this.feed, this.events, publish, secretBox, options.webhooks);
    this.balances = new MerchantBalances(log, this.feed);
    const invoiceEffects = options.invoiceEffects;
    this.invoiceDocuments = new InvoiceDocuments(invoiceEffects?.renderPdf);
    this.invoiceMail = invoiceEffects?.send
      ? new InvoiceMailOutbox(
          log,
          this.feed,
          this.invoiceDocuments,
          invoiceEffects.renderPdf,
          invoiceEffects.send,
          invoiceEffects.mail,
        )
      : null;
    this.catalog = new ProductCatalog(log, publish);
    this.testClocks = new TestClockDirectory(log, publish);
    this.billing = new BillingService(
      log,
      publish,
      payments.invoices,
      this.payments,
      this.catalog,
      this.testClocks,
      this.wallets.registry,
      options.billing,
    );
    payments.settlement = this.billing;
    const clock = new BillingClock(
      this.billing,
      this.catalog,
      new PostpaidUsage(log, this.wallets.shares),
      this.wallets,
    );
    this.wallets.useClocks(clock.walletClocks());
    this.usage.useClocks((customer) => this.billing.nowFor(customer));
    this.timers.addKind(clock.timerKind());
    this.testClocks.setAdvancer((testClock, to) => clock.advance(testClock, to));
    this.invoiceDocuments.setSource(
      billingInvoiceSource(this.billing, this.customers, this.merchants, this.payments),
    );
    this.snapshotIntervalRecords = options.snapshotIntervalRecords ?? limits.snapshotIntervalRecords;
  }

  static async open(options: RuntimeOptions): Promise<Runtime> {
    // The chain is verified by worker threads while the actors are recovered here; nothing is
    // served, and nothing appended, before both are done.
    const log = await Log.open(options.dataDir, {
      ...options.log,
      deferVerification: true,
      entryValuesFormat: walletSharesFormat,
    });
    let runtime: Runtime;
    try {
      runtime = new Runtime(log, options, await openSecretBox(log, options.dataDir, options.secretKey));
      await runtime.setUpAdminToken(options.adminToken);
      // An untrustworthy log is the first thing to report: a replay that diverged follows from it.
      const [verified, recovered] = await Promise.allSettled([log.verified, runtime.recover()]);
      if (verified.status === "rejected") throw verified.reason;
      if (recovered.status === "rejected") throw recovered.reason;
      await listEarlierRateCards(log);
      await runtime.webhooks.start();
      await runtime.invoiceMail?.start();
    } catch (error) {
      await log.close();
      throw error;
    }
    if (options.startTimers ?? true) {
      await runtime.timers.catchUp();
      runtime.timers.start();
    }
    return runtime;
  }

  private async setUpAdminToken(configured: string | undefined): Promise<void> {
    if (configured) {
      this.adminTokenSha256 = sha256Hex(configured);
      // A token generated before is retired: unsetting the setting later must not revive it.
      if (await this.log.get(keys.meta("admin_token_sha256")))
        await this.log.db.del(keys.meta("admin_token_sha256"), { sync: true });
      return;
    }
    const stored = await this.log.get(keys.meta("admin_token_sha256"));
    if (stored) {
      this.adminTokenSha256 = stored;
      return;
    }
    const token = `bm_admin_${randomBytes(24).toString("base64url")}`;
    this.adminTokenSha256 = sha256Hex(token);
    await this.log.db.put(keys.meta("admin_token_sha256"), this.adminTokenSha256, { sync: true });
    this.generatedAdminToken = token;
  }

  /** Replays every wallet touched after the last checkpoint, checking each recorded fact. */
  private async recover(): Promise<void> {
    const started = performance.now();
    const stored = await this.log.get(keys.meta("checkpoint"));
    let checkpoint: Checkpoint = { atSeq: 0, hash: "" };
    if (stored) {
      const parsed = JSON.parse(stored) as Checkpoint;
      // The checkpoint was written once its record was durable: a log that no longer holds that
      // record, or holds it changed, lost or rewrote acknowledged history. Serving on it would answer
      // from stored responses for records that are gone, and reuse their sequence numbers.
      const head = this.log.head.seq;
      if (parsed.atSeq > head) {
        throw new LogIntegrityError(
          parsed.atSeq,
          "checkpoint_ahead_of_log",
          `the checkpoint was taken at ledger record ${parsed.atSeq}, but the ledger ends at ${head}: durable records were lost (audit: npx buffmoney audit verify)`,
        );
      }
      // The record's header line names its hash: no need to decode it (often a large usage batch).
      const [hash] = parsed.atSeq > 0 ? await this.log.hashesAt([parsed.atSeq]) : [];
      if (parsed.atSeq > 0 && hash !== parsed.hash) {
        throw new LogIntegrityError(
          parsed.atSeq,
          "checkpoint_mismatch",
          `ledger record ${parsed.atSeq} no longer has the hash the checkpoint saw: it was changed`,
        );
      }
      checkpoint = parsed;
    }
    // One pass over the tail, a chunk at a time: the wallets a chunk touches first are loaded as of the
    // checkpoint (snapshot, or their records up to it) in one batch, then the chunk is replayed through
    // the machines with every fact checked.
    const registry = this.wallets.registry;
    const states = new Map<string, LoadedEntity<WalletContext>>();
    let replayed = 0;
    const replayChunk = async (chunk: CommittedRecord[]) => {
      const fresh = new Set<string>();
      for (const record of chunk) {
        for (const entity of [record.entity, ...(record.touches ?? [])]) {
          if (entity.startsWith("wallet:") && !states.has(entity)) fresh.add(entity);
        }
      }
      const loaded = await loadAtCheckpoint(
        this.log,
        walletKind,
        [...fresh].map((entity) => ({ entity, entityId: entity.slice("wallet:".length) })),
        checkpoint.atSeq,
      );
      for (const [entity, state] of loaded) states.set(entity, state);
      for (const record of chunk) {
        for (const entity of [record.entity, ...(record.touches ?? [])]) {
          const wallet = states.get(entity);
          // A wallet loaded from a snapshot newer than the checkpoint already holds this record.
          if (!wallet || record.seq <= wallet.lastSeq) continue;
          wallet.state = replayRecord(
            walletKind,
            wallet.state,
            record,
            entity.slice("wallet:".length),
            entity,
          );
          wallet.lastSeq = record.seq;
          wallet.lastHash = record.hash;
        }
      }
    };
    let chunk: CommittedRecord[] = [];
    let chunkEntities = 0;
    for await (const record of this.log.scan(checkpoint.atSeq + 1)) {
      replayed += 1;
      chunk.push(record);
      chunkEntities += 1 + (record.touches?.length ?? 0);
      // Bounded by entities too: a usage batch charges hundreds of wallets in half a megabyte.
      if (chunk.length >= recoveryChunkRecords || chunkEntities >= recoveryChunkEntities) {
        await replayChunk(chunk);
        chunk = [];
        chunkEntities = 0;
      }
    }
    await replayChunk(chunk);
    for (const [entity, loaded] of states) {
      registry.adopt(entity, entity.slice("wallet:".length), loaded.state, loaded.lastSeq, loaded.lastHash);
    }
    this.recovery = {
      headSeq: this.log.head.seq,
      checkpointSeq: checkpoint.atSeq,
      replayedRecords: replayed,
      replayedEntities: states.size,
      ms: performance.now() - started,
    };
  }

  private publish(record: Parameters<RecordFeed["publish"]>[0]): void {
    this.feed.publish(record);
    this.recordsSinceCheckpoint += 1;
    if (this.recordsSinceCheckpoint >= this.snapshotIntervalRecords && !this.checkpointing) {
      this.checkpointing = this.checkpoint().finally(() => {
        this.checkpointing = null;
      });
    }
  }

  /** Snapshots changed wallets and records the sequence they reflect, so restart replays only the tail. */
  async checkpoint(): Promise<void> {
    this.recordsSinceCheckpoint = 0;
    const atSeq = this.log.durableHead;
    const [hash] = atSeq > 0 ? await this.log.hashesAt([atSeq]) : [];
    await this.wallets.registry.snapshotDirty();
    // The other kinds load lazily (snapshot + their own records); their snapshots only shorten that.
    for (const registry of [
      this.payments.ledger.payments,
      this.payments.ledger.invoices,
      this.billing.subscriptions,
      this.billing.purchases,
      this.billing.numbers,
    ]) {
      await registry.snapshotDirty();
    }
    if (hash !== undefined) {
      await this.log.putUnsynced([
        { key: keys.meta("checkpoint"), value: JSON.stringify({ atSeq, hash } satisfies Checkpoint) },
      ]);
    }
  }

  /** Billing's read model of invoices: what PDFs and invoice emails are made from. */
  setInvoiceSource(source: InvoiceSource): void {
    this.invoiceDocuments.setSource(source);
  }

  /** Records indexed under an entity, newest first (read models: wallet history, audit trail). */
  readEntityRecords(
    entity: string,
    options: { limit: number; beforeSeq?: number },
  ): Promise<{ records: CommittedRecord[]; hasMore: boolean }> {
    return readEntityRecords(this.log, entity, options);
  }

  /** Stops timers and deliveries, then flushes, checkpoints and closes the log; a second call waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await this.timers.stop();
    await this.webhooks.stop();
    await this.invoiceMail?.stop();
    await this.log.flush();
    await this.checkpointing;
    await this.checkpoint();
    await this.log.close();
  }
}
