import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { KeyedTurns } from "../domain/keyedTurns.js";
import { newId } from "../domain/ids.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import { auditEntity, type Actor } from "./audit.js";
import { CustomerCache } from "./customerCache.js";
import { testClockCustomersEntity } from "./testClocks.js";

export type BillingMode = "prepaid" | "postpaid";

export interface Customer {
  id: string;
  externalId: string;
  name: string | null;
  email: string | null;
  env: Environment;
  merchantId: string;
  createdAt: number;
  /** Which rate card prices this customer's usage, and how it is paid. */
  rateCardId?: string | null;
  billingMode?: BillingMode | null;
  /** Sandbox only: the test clock whose time this customer lives on; set at creation, never changed. */
  testClockId: string | null;
}

export interface CustomerInput {
  externalId: string;
  name: string | null;
  email: string | null;
  /** Checked by the caller: a sandbox clock of this merchant. */
  testClockId?: string | null | undefined;
}

export interface CustomerChanges {
  name?: string | null;
  email?: string | null;
  rateCardId?: string | null;
  billingMode?: BillingMode | null;
}

const customerIndex = (env: string, merchantId: string, externalId: string) =>
  `x!c!${env}!${merchantId}!${externalId}`;

/**
 * Customers, found by the merchant's own `externalId` within one environment. The lookup index is
 * written with the `customer.created` record; a small cache keeps hot customers in memory.
 */
export class CustomerDirectory {
  private readonly creating = new Set<string>();
  private readonly updating = new KeyedTurns();
  private readonly cache = new CustomerCache(50_000);

  constructor(
    private readonly log: Log,
    private readonly onCommitted: (record: CommittedRecord) => void,
  ) {}

  async create(
    env: Environment,
    merchantId: string,
    { externalId, name, email, testClockId = null }: CustomerInput,
    idempotency?: (customer: Customer) => { scope: string; op: IndexOp },
  ): Promise<Customer> {
    // Recorded only when set: a customer without a clock is recorded as before clocks existed.
    const input = { externalId, name, email, ...(testClockId === null ? {} : { testClockId }) };
    const indexKey = customerIndex(env, merchantId, externalId);
    const exists = () =>
      new DomainError("customer_exists", `a customer with externalId "${input.externalId}" already exists`);
    if (this.creating.has(indexKey)) throw exists();
    // Claimed before the lookup awaits: a concurrent create of the same externalId sees the claim.
    this.creating.add(indexKey);
    try {
      if (await this.find(env, merchantId, input.externalId)) throw exists();
      const at = this.log.now();
      const customer: Customer = {
        id: newId("cus"),
        ...input,
        testClockId,
        env,
        merchantId,
        createdAt: at,
      };
      const ops: IndexOp[] = [{ type: "put", key: indexKey, value: JSON.stringify(customer) }];
      const idem = idempotency?.(customer);
      if (idem) ops.push(idem.op);
      const record = await this.log.append(
        {
          env,
          merchantId,
          entity: `customer:${customer.id}`,
          command: { type: "customer.create", customerId: customer.id, ...input },
          facts: [{ type: "customer.created", customerId: customer.id, ...input }],
          postings: [],
          keys: idem ? [idem.scope] : [],
          ...(testClockId === null ? {} : { touches: [testClockCustomersEntity(testClockId)] }),
        },
        at,
        ops,
      );
      this.cache.set(customer);
      this.onCommitted(record);
      return customer;
    } finally {
      this.creating.delete(indexKey);
    }
  }

  /** The customer if it is in memory, without a promise (usage batches look up hundreds). */
  findCached(env: Environment, merchantId: string, externalId: string): Customer | undefined {
    return this.cache.get(env, merchantId, externalId);
  }

  /**
   * One page of the environment's customers in externalId order (as bytes of UTF-8), after
   * `afterExternalId` when paging. Reads the durable index: a create still in flight is not listed.
   */
  async list(
    env: Environment,
    merchantId: string,
    options: { limit: number; afterExternalId?: string | undefined },
  ): Promise<{ customers: Customer[]; hasMore: boolean }> {
    const prefix = customerIndex(env, merchantId, "");
    // Every key under the prefix sorts below the prefix with its last "!" raised to the next byte.
    const end = `${prefix.slice(0, -1)}"`;
    const start =
      options.afterExternalId === undefined ? { gte: prefix } : { gt: prefix + options.afterExternalId };
    const values = await this.log.db.values({ ...start, lt: end, limit: options.limit + 1 }).all();
    const customers = values.slice(0, options.limit).map((stored) => parseCustomer(stored));
    return { customers, hasMore: values.length > options.limit };
  }

  /** Finds a customer in this environment only: the other environment's customers do not exist here. */
  async find(env: Environment, merchantId: string, externalId: string): Promise<Customer | undefined> {
    const cached = this.cache.get(env, merchantId, externalId);
    if (cached) return cached;
    const indexKey = customerIndex(env, merchantId, externalId);
    const stored = await this.log.get(indexKey);
    if (stored === undefined) return undefined;
    const customer = parseCustomer(stored);
    this.cache.set(customer);
    return customer;
  }

  /**
   * Changes a customer; one change at a time per customer. `check` sees the merged result first
   * (e.g. that a prepaid customer's card is in CNY) and throws to refuse it.
   */
  async update(
    customer: Customer,
    changes: CustomerChanges,
    actor: Actor,
    check: (next: Customer) => Promise<void>,
    idempotency?: (customer: Customer) => { scope: string; op: IndexOp },
  ): Promise<Customer> {
    const indexKey = customerIndex(customer.env, customer.merchantId, customer.externalId);
    return this.updating.run(indexKey, async () => {
      const current = await this.require(customer.env, customer.merchantId, customer.externalId);
      const next: Customer = { ...current, ...changes };
      await check(next);
      const ops: IndexOp[] = [{ type: "put", key: indexKey, value: JSON.stringify(next) }];
      const idem = idempotency?.(next);
      if (idem) ops.push(idem.op);
      const record = await this.log.append(
        {
          env: next.env,
          merchantId: next.merchantId,
          entity: `customer:${next.id}`,
          command: { type: "customer.update", customerId: next.id, changes, by: actor },
          facts: [{ type: "customer.updated", customerId: next.id, changes, by: actor }],
          postings: [],
          keys: idem ? [idem.scope] : [],
          touches: [auditEntity(next.env, next.merchantId)],
        },
        this.log.now(),
        ops,
      );
      this.cache.set(next);
      this.onCommitted(record);
      return next;
    });
  }

  async require(env: Environment, merchantId: string, externalId: string): Promise<Customer> {
    const customer = await this.find(env, merchantId, externalId);
    if (!customer) throw new DomainError("customer_not_found", `no customer with externalId "${externalId}"`);
    return customer;
  }
}

function parseCustomer(stored: string): Customer {
  // Customers stored before test clocks have no testClockId.
  const parsed = JSON.parse(stored) as Omit<Customer, "testClockId"> & { testClockId?: string | null };
  return { ...parsed, testClockId: parsed.testClockId ?? null };
}
