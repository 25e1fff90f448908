import { Transport } from "./http.js";
import { transportConfig, type ConnectionOptions } from "./options.js";
import { Customers } from "./resources/customers.js";
import { Wallets } from "./resources/wallets.js";
import type { Environment } from "./types.js";

export interface ClientOptions extends ConnectionOptions {
  /** "bm_test_…" or "bm_live_…"; the prefix picks the environment. */
  apiKey: string;
}

/** A merchant's client: customers and their wallets, in the key's environment. */
export class BuffMoneyClient {
  readonly environment: Environment;
  readonly customers: Customers;
  readonly wallets: Wallets;

  constructor(options: ClientOptions) {
    this.environment = environmentOf(options.apiKey);
    const transport = new Transport(transportConfig(options.apiKey, options));
    this.customers = new Customers(transport);
    this.wallets = new Wallets(transport);
  }
}

function environmentOf(apiKey: unknown): Environment {
  // The message never echoes the key: errors end up in logs.
  if (typeof apiKey === "string" && apiKey.startsWith("bm_test_")) return "test";
  if (typeof apiKey === "string" && apiKey.startsWith("bm_live_")) return "live";
  throw new TypeError('BuffMoney apiKey must start with "bm_test_" or "bm_live_".');
}
