import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { validateRateCardVersion, type Price, type RateCardVersion } from "../domain/rating/index.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import { auditEntity, type Actor } from "./audit.js";
import { rateCardListKey, rateCardListOp, rateCardListPrefix } from "./rateCardList.js";

/** Prepaid only: what an event that would overdraw the wallet does. */
export type InsufficientBalancePolicy = { mode: "reject" } | { mode: "allow_negative"; limitMicros: string };

export interface PublishedVersion extends RateCardVersion {
  version: number;
  publishedAt: number;
  insufficientBalance: InsufficientBalancePolicy;
}

export interface RateCard {
  id: string;
  env: Environment;
  merchantId: string;
  name: string;
  createdAt: number;
  versions: PublishedVersion[];
}

export interface VersionInput {
  currency: string;
  effectiveFrom?: number | undefined;
  prices: unknown;
  insufficientBalance?: InsufficientBalancePolicy | undefined;
}

const cardIndex = (id: string) => `x!rc!${id}`;

/** One page of a merchant's rate cards, newest first; `lastSeq` (a ledger sequence) is the next cursor. */
export interface RateCardPage {
  cards: RateCard[];
  hasMore: boolean;
  lastSeq: number | null;
}

/**
 * Rate cards with immutable, numbered versions. Creating a card publishes version 1; publishing
 * appends a version and never touches an old one. Each change is a log record naming who made it,
 * also listed in the merchant's audit trail.
 */
export class RateCardDirectory {
  private readonly cache = new Map<string, RateCard>();
  private readonly publishing = new Set<string>();

  constructor(
    private readonly log: Log,
    private readonly onCommitted: (record: CommittedRecord) => void,
  ) {}

  async create(
    env: Environment,
    merchantId: string,
    input: { name: string } & VersionInput,
    actor: Actor,
    idempotency?: (card: RateCard) => { scope: string; op: IndexOp },
  ): Promise<RateCard> {
    const at = this.log.now();
    const version = this.validate(input, at, 1, at);
    const card: RateCard = {
      id: newId("rc"),
      env,
      merchantId,
      name: input.name,
      createdAt: at,
      versions: [version],
    };
    await this.write(
      card,
      at,
      { type: "rate_card.create", name: input.name },
      "rate_card.created",
      actor,
      idempotency,
      { listed: true },
    );
    return card;
  }

  async publish(
    env: Environment,
    merchantId: string,
    id: string,
    input: VersionInput,
    actor: Actor,
    idempotency?: (card: RateCard) => { scope: string; op: IndexOp },
  ): Promise<RateCard> {
    if (this.publishing.has(id))
      throw new DomainError("idempotency_key_in_use", "another version is being published");
    this.publishing.add(id);
    try {
      const current = await this.require(env, merchantId, id);
      const at = this.log.now();
      const last = current.versions[current.versions.length - 1];
      const version = this.validate(input, at, current.versions.length + 1, at);
      if (last && version.currency !== last.currency) {
        throw new DomainError(
          "currency_mismatch",
          `this rate card is in ${last.currency}: its versions keep that currency (create another card for ${version.currency})`,
        );
      }
      if (last && version.effectiveFrom < last.effectiveFrom) {
        throw new DomainError(
          "effective_from_in_past",
          "a new version cannot take effect before the previous one",
        );
      }
      const card: RateCard = { ...current, versions: [...current.versions, version] };
      await this.write(
        card,
        at,
        { type: "rate_card.publish" },
        "rate_card.version_published",
        actor,
        idempotency,
      );
      return card;
    } finally {
      this.publishing.delete(id);
    }
  }

  async find(env: Environment, merchantId: string, id: string): Promise<RateCard | undefined> {
    let card = this.cache.get(id);
    if (!card) {
      const stored = await this.log.get(cardIndex(id));
      if (stored === undefined) return undefined;
      card = JSON.parse(stored) as RateCard;
      this.cache.set(id, card);
    }
    return card.env === env && card.merchantId === merchantId ? card : undefined;
  }

  /**
   * The environment's rate cards, newest first (by the record that created each), before `beforeSeq`
   * when paging. Reads the durable list index: a create still in flight is not listed.
   */
  async list(
    env: Environment,
    merchantId: string,
    options: { limit: number; beforeSeq?: number | undefined },
  ): Promise<RateCardPage> {
    const prefix = rateCardListPrefix(env, merchantId);
    const lt =
      options.beforeSeq === undefined ? `${prefix}~` : rateCardListKey(env, merchantId, options.beforeSeq);
    const entries = await this.log.db
      .iterator({ gt: prefix, lt, reverse: true, limit: options.limit + 1 })
      .all();
    const page = entries.slice(0, options.limit);
    const cards = await Promise.all(page.map(([, id]) => this.require(env, merchantId, id)));
    const last = page[page.length - 1];
    return {
      cards,
      hasMore: entries.length > options.limit,
      lastSeq: last ? Number(last[0].slice(prefix.length)) : null,
    };
  }

  async require(env: Environment, merchantId: string, id: string): Promise<RateCard> {
    const card = await this.find(env, merchantId, id);
    if (!card) throw new DomainError("rate_card_not_found", `no rate card ${id}`);
    return card;
  }

  /** The version in effect at `atMs`: the latest whose effectiveFrom is not after it. */
  static versionAt(card: RateCard, atMs: number): PublishedVersion | undefined {
    for (let i = card.versions.length - 1; i >= 0; i--) {
      const version = card.versions[i];
      if (version && version.effectiveFrom <= atMs) return version;
    }
    return undefined;
  }

  private validate(input: VersionInput, at: number, number: number, now: number): PublishedVersion {
    // A new card has priced nothing yet, so its first version may (and by default does) cover all past
    // usage; later versions take effect from now on, so usage already rated never changes price.
    const effectiveFrom = input.effectiveFrom ?? (number === 1 ? 0 : now);
    if (number > 1 && effectiveFrom < now - 1000) {
      throw new DomainError(
        "effective_from_in_past",
        "a version cannot take effect in the past: rated usage would change",
      );
    }
    const checked = validateRateCardVersion({
      currency: input.currency,
      effectiveFrom,
      prices: input.prices,
    });
    if (!checked.ok) {
      // Most rating messages name their field already; the rest get it in front.
      const named = checked.message.startsWith(checked.path);
      throw new DomainError(
        "invalid_rate_card",
        named ? checked.message : `${checked.path}: ${checked.message}`,
        {
          ratingCode: checked.code,
        },
      );
    }
    return {
      ...checked.value,
      prices: checked.value.prices as Price[],
      version: number,
      publishedAt: at,
      insufficientBalance: input.insufficientBalance ?? { mode: "reject" },
    };
  }

  private async write(
    card: RateCard,
    at: number,
    command: { type: string; [k: string]: unknown },
    factType: string,
    actor: Actor,
    idempotency?: (card: RateCard) => { scope: string; op: IndexOp },
    { listed = false } = {},
  ): Promise<void> {
    const latest = card.versions[card.versions.length - 1];
    const ops: IndexOp[] = [{ type: "put", key: cardIndex(card.id), value: JSON.stringify(card) }];
    // A new card enters the list in its creating record's batch, by that record's sequence (no
    // await between here and the append, so nextSeq is the sequence the record gets).
    if (listed) ops.push(rateCardListOp(card.env, card.merchantId, this.log.nextSeq, card.id));
    const idem = idempotency?.(card);
    if (idem) ops.push(idem.op);
    const record = await this.log.append(
      {
        env: card.env,
        merchantId: card.merchantId,
        entity: `ratecard:${card.id}`,
        command: { ...command, rateCardId: card.id, by: actor },
        facts: [{ type: factType, rateCardId: card.id, name: card.name, version: latest, by: actor }],
        postings: [],
        keys: idem ? [idem.scope] : [],
        touches: [auditEntity(card.env, card.merchantId)],
      },
      at,
      ops,
    );
    this.cache.set(card.id, card);
    this.onCommitted(record);
  }
}
