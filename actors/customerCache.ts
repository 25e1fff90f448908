import type { Customer } from "./customers.js";

/**
 * Customers kept in memory, bounded, the oldest kept dropped first. Found by environment, merchant
 * and externalId through nested maps: a usage batch looks up hundreds, and a key string built for
 * each lookup (then hashed) cost more than the three map reads.
 */
export class CustomerCache {
  /** env → merchantId → externalId → customer. */
  private readonly byScope = new Map<string, Map<string, Map<string, Customer>>>();
  /** Every kept customer, oldest first, by its id (unique across environments and merchants). */
  private readonly order = new Map<string, Customer>();

  constructor(private readonly max: number) {}

  get(env: string, merchantId: string, externalId: string): Customer | undefined {
    return this.byScope.get(env)?.get(merchantId)?.get(externalId);
  }

  /** Keeps `customer`; replacing a kept one (an update) keeps its place in line. */
  set(customer: Customer): void {
    const key = customer.id;
    if (!this.order.has(key) && this.order.size >= this.max) {
      for (const [oldestKey, oldest] of this.order) {
        this.order.delete(oldestKey);
        this.forget(oldest);
        break;
      }
    }
    this.order.set(key, customer);
    let merchants = this.byScope.get(customer.env);
    if (merchants === undefined) this.byScope.set(customer.env, (merchants = new Map()));
    let customers = merchants.get(customer.merchantId);
    if (customers === undefined) merchants.set(customer.merchantId, (customers = new Map()));
    customers.set(customer.externalId, customer);
  }

  get size(): number {
    return this.order.size;
  }

  private forget(customer: Customer): void {
    const merchants = this.byScope.get(customer.env);
    const customers = merchants?.get(customer.merchantId);
    customers?.delete(customer.externalId);
    if (customers?.size === 0) merchants?.delete(customer.merchantId);
  }
}
