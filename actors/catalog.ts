import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { KeyedTurns } from "../domain/keyedTurns.js";
import { limits } from "../domain/limits.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import { auditEntity, type Actor } from "./audit.js";
import { readEntityRecords } from "./entityRecords.js";

/** What a merchant sells; its prices say how much and how often. */
export interface Product {
  id: string;
  env: Environment;
  merchantId: string;
  name: string;
  /** The name shown to Chinese-speaking customers. */
  nameZh: string | null;
  description: string | null;
  createdAt: number;
}

/** "recurring" is billed every interval by a subscription; "one_time" is bought once. */
export type PriceType = "recurring" | "one_time";
export type PriceInterval = "month";

/** A product's price. Immutable: a different amount or term is a new price. */
export interface Price {
  id: string;
  env: Environment;
  merchantId: string;
  productId: string;
  type: PriceType;
  /** Fen, a digit string greater than zero. */
  amountFen: string;
  currency: "CNY";
  nickname: string | null;
  /** Recurring prices only (and required for them). */
  interval: PriceInterval | null;
  /** One-time prices only: days after payment a purchase may be refunded; null (or 0) means never. */
  refundWindowDays: number | null;
  createdAt: number;
}

export interface ProductInput {
  name: string;
  nameZh?: string | null | undefined;
  description?: string | null | undefined;
}

export interface PriceInput {
  productId: string;
  type: PriceType;
  amountFen: string;
  currency?: "CNY" | undefined;
  nickname?: string | null | undefined;
  interval?: PriceInterval | null | undefined;
  refundWindowDays?: number | null | undefined;
}

/** One page, newest first; `nextAfter` (a ledger sequence) is the `after` of the next page. */
export interface CatalogPage<T> {
  data: T[];
  hasMore: boolean;
  nextAfter: number | null;
}

export interface PageOptions {
  limit: number;
  /** The `nextAfter` of the previous page. */
  after?: number | undefined;
}

type Idempotency<T> = (created: T) => { scope: string; op: IndexOp };

const productIndex = (id: string) => `x!prod!${id}`;
const priceIndex = (id: string) => `x!price!${id}`;
/** Entities whose record index lists a merchant's products, prices, and one product's prices. */
const productsEntity = (env: string, merchantId: string) => `products:${env}:${merchantId}`;
const pricesEntity = (env: string, merchantId: string) => `prices:${env}:${merchantId}`;
const productPricesEntity = (productId: string) => `product_prices:${productId}`;

/**
 * The product catalog: products and their immutable prices. Each creation is a log record naming
 * who made it, listed in the merchant's audit trail; the objects are read back from x! index
 * entries written in the same batch, through a bounded cache.
 */
export class ProductCatalog {
  /** By index key: a price id asked for as a product (or the reverse) is simply not found. */
  private readonly cache = new Map<string, Product | Price>();
  /** Price creations run one at a time per product, so the per-product limit holds. */
  private readonly pricing = new KeyedTurns();

  constructor(
    private readonly log: Log,
    private readonly onCommitted: (record: CommittedRecord) => void,
  ) {}

  async createProduct(
    env: Environment,
    merchantId: string,
    input: ProductInput,
    actor: Actor,
    idempotency?: Idempotency<Product>,
  ): Promise<Product> {
    const at = this.log.now();
    const product: Product = {
      id: newId("prod"),
      env,
      merchantId,
      ...checkProduct(input),
      createdAt: at,
    };
    const { id, name, nameZh, description } = product;
    const fields = { productId: id, name, nameZh, description, by: actor };
    await this.write(product, productIndex(id), idempotency, at, {
      env,
      merchantId,
      entity: `product:${id}`,
      command: { type: "product.create", ...fields },
      facts: [{ type: "product.created", ...fields }],
      postings: [],
      keys: [],
      touches: [auditEntity(env, merchantId), productsEntity(env, merchantId)],
    });
    return product;
  }

  async product(env: Environment, merchantId: string, id: string): Promise<Product | undefined> {
    const found = await this.load<Product>(productIndex(id));
    return found && found.env === env && found.merchantId === merchantId ? found : undefined;
  }

  async requireProduct(env: Environment, merchantId: string, id: string): Promise<Product> {
    const found = await this.product(env, merchantId, id);
    if (!found) throw new DomainError("product_not_found", `no product ${id}`);
    return found;
  }

  listProducts(env: Environment, merchantId: string, options: PageOptions): Promise<CatalogPage<Product>> {
    return this.page(productsEntity(env, merchantId), options, (record) =>
      this.load<Product>(productIndex(String(record.command.productId))),
    );
  }

  async createPrice(
    env: Environment,
    merchantId: string,
    input: PriceInput,
    actor: Actor,
    idempotency?: Idempotency<Price>,
  ): Promise<Price> {
    const terms = checkPrice(input);
    const product = await this.requireProduct(env, merchantId, input.productId);
    return this.serially(product.id, async () => {
      const existing = await this.log.entitySeqs(productPricesEntity(product.id), {
        limit: limits.pricesPerProductMax,
      });
      if (existing.length >= limits.pricesPerProductMax) {
        throw new DomainError(
          "product_prices_limit_reached",
          `a product has at most ${limits.pricesPerProductMax} prices`,
        );
      }
      const at = this.log.now();
      const price: Price = {
        id: newId("price"),
        env,
        merchantId,
        productId: product.id,
        ...terms,
        createdAt: at,
      };
      const { type: priceType, ...rest } = terms;
      const fields = { priceId: price.id, productId: product.id, priceType, ...rest, by: actor };
      await this.write(price, priceIndex(price.id), idempotency, at, {
        env,
        merchantId,
        entity: `price:${price.id}`,
        command: { type: "price.create", ...fields },
        facts: [{ type: "price.created", ...fields }],
        postings: [],
        keys: [],
        touches: [
          auditEntity(env, merchantId),
          pricesEntity(env, merchantId),
          productPricesEntity(product.id),
        ],
      });
      return price;
    });
  }

  async price(env: Environment, merchantId: string, id: string): Promise<Price | undefined> {
    const found = await this.load<Price>(priceIndex(id));
    return found && found.env === env && found.merchantId === merchantId ? found : undefined;
  }

  async requirePrice(env: Environment, merchantId: string, id: string): Promise<Price> {
    const found = await this.price(env, merchantId, id);
    if (!found) throw new DomainError("price_not_found", `no price ${id}`);
    return found;
  }

  /** The merchant's prices, or one product's (an unknown product is `product_not_found`). */
  async listPrices(
    env: Environment,
    merchantId: string,
    options: PageOptions & { productId?: string | undefined },
  ): Promise<CatalogPage<Price>> {
    let entity = pricesEntity(env, merchantId);
    if (options.productId !== undefined) {
      entity = productPricesEntity((await this.requireProduct(env, merchantId, options.productId)).id);
    }
    return this.page(entity, options, (record) =>
      this.load<Price>(priceIndex(String(record.command.priceId))),
    );
  }

  private async page<T>(
    entity: string,
    options: PageOptions,
    objectOf: (record: CommittedRecord) => Promise<Awaited<T> | undefined>,
  ): Promise<CatalogPage<Awaited<T>>> {
    const { records, hasMore } = await readEntityRecords(this.log, entity, {
      limit: Math.max(1, Math.min(options.limit, limits.pageSizeMax)),
      ...(options.after !== undefined ? { beforeSeq: options.after } : {}),
    });
    const objects = await Promise.all(records.map(objectOf));
    const data = objects.filter((o) => o !== undefined);
    const last = records[records.length - 1];
    return { data, hasMore, nextAfter: hasMore && last ? last.seq : null };
  }

  private async load<T extends Product | Price>(indexKey: string): Promise<T | undefined> {
    const cached = this.cache.get(indexKey);
    if (cached) return cached as T;
    const stored = await this.log.get(indexKey);
    if (stored === undefined) return undefined;
    const found = JSON.parse(stored) as T;
    this.remember(indexKey, found);
    return found;
  }

  private async write<T extends Product | Price>(
    object: T,
    indexKey: string,
    idempotency: Idempotency<T> | undefined,
    at: number,
    draft: Parameters<Log["append"]>[0],
  ): Promise<void> {
    const ops: IndexOp[] = [{ type: "put", key: indexKey, value: JSON.stringify(object) }];
    const idem = idempotency?.(object);
    if (idem) ops.push(idem.op);
    const record = await this.log.append({ ...draft, keys: idem ? [idem.scope] : [] }, at, ops);
    this.remember(indexKey, object);
    this.onCommitted(record);
  }

  private remember(indexKey: string, object: Product | Price): void {
    if (this.cache.size >= limits.catalogObjectsCachedMax) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(indexKey, object);
  }

  private serially<T>(key: string, run: () => Promise<T>): Promise<T> {
    return this.pricing.run(key, run);
  }
}

function checkProduct(input: ProductInput): Pick<Product, "name" | "nameZh" | "description"> {
  const name = input.name.trim();
  const nameZh = input.nameZh?.trim() || null;
  if (name.length === 0 || name.length > limits.nameLengthMax) {
    throw new DomainError("invalid_request", `name must be 1 to ${limits.nameLengthMax} characters`);
  }
  if (nameZh !== null && nameZh.length > limits.nameLengthMax) {
    throw new DomainError("invalid_request", `nameZh must be at most ${limits.nameLengthMax} characters`);
  }
  const description = input.description ?? null;
  if (description !== null && description.length > limits.productDescriptionLengthMax) {
    throw new DomainError(
      "invalid_request",
      `description must be at most ${limits.productDescriptionLengthMax} characters`,
    );
  }
  return { name, nameZh, description };
}

type PriceTerms = Pick<
  Price,
  "type" | "amountFen" | "currency" | "nickname" | "interval" | "refundWindowDays"
>;

/** The price's terms, or `invalid_price` naming what is wrong with them. */
function checkPrice(input: PriceInput): PriceTerms {
  const invalid = (message: string) => new DomainError("invalid_price", message);
  if (input.type !== "recurring" && input.type !== "one_time") {
    throw invalid('type must be "recurring" or "one_time"');
  }
  if (!/^[1-9]\d{0,15}$/.test(input.amountFen) || BigInt(input.amountFen) > limits.priceAmountFenMax) {
    throw invalid(`the amount must be whole fen, greater than zero and at most ${limits.priceAmountFenMax}`);
  }
  if ((input.currency ?? "CNY") !== "CNY") throw invalid("prices are in CNY");
  const nickname = input.nickname?.trim() || null;
  if (nickname !== null && nickname.length > limits.nameLengthMax) {
    throw invalid(`nickname must be at most ${limits.nameLengthMax} characters`);
  }
  // Monthly is the one interval today, so a recurring price without one is monthly.
  const interval = input.interval ?? (input.type === "recurring" ? "month" : null);
  const refundWindowDays = input.refundWindowDays ?? null;
  if (input.type === "recurring") {
    if (interval !== "month") throw invalid('a recurring price needs interval "month"');
    if (refundWindowDays !== null) {
      throw invalid("refundWindowDays applies to one-time prices only");
    }
  } else {
    if (interval !== null) throw invalid("interval applies to recurring prices only");
    if (
      refundWindowDays !== null &&
      (!Number.isInteger(refundWindowDays) ||
        refundWindowDays < 0 ||
        refundWindowDays > limits.refundWindowDaysMax)
    ) {
      throw invalid(`refundWindowDays must be a whole number from 0 to ${limits.refundWindowDaysMax}`);
    }
  }
  return {
    type: input.type,
    amountFen: input.amountFen,
    currency: "CNY",
    nickname,
    interval,
    refundWindowDays,
  };
}
