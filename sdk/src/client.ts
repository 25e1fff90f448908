import { Transport } from "./http.js";
import { transportConfig, type ConnectionOptions } from "./options.js";
import type { WebSocketConstructor } from "./feedSocket.js";
import { AuditLog } from "./resources/auditLog.js";
import { Events } from "./resources/events.js";
import { Balances } from "./resources/balance.js";
import { Invoices } from "./resources/invoices.js";
import { Refunds } from "./resources/refunds.js";
import { Sandbox } from "./resources/sandbox.js";
import { Customers } from "./resources/customers.js";
import { Entitlements } from "./resources/entitlements.js";
import { Metrics } from "./resources/metrics.js";
import { Prices } from "./resources/prices.js";
import { Products } from "./resources/products.js";
import { Purchases } from "./resources/purchases.js";
import { RateCards } from "./resources/rateCards.js";
import { Subscriptions } from "./resources/subscriptions.js";
import { TestClocks } from "./resources/testClocks.js";
import { Usage } from "./resources/usage.js";
import { UsageEvents } from "./resources/usageEvents.js";
import { WebhookEndpoints } from "./resources/webhookEndpoints.js";
import { Wallets } from "./resources/wallets.js";
import type { Environment } from "./types.js";

export interface ClientOptions extends ConnectionOptions {
  /** "bm_test_…" or "bm_live_…"; the prefix picks the environment. */
  apiKey: string;
  /**
   * For `events.stream` where there is no global WebSocket (Node 20): pass `ws`'s, e.g.
   * `import { WebSocket } from "ws"`. The SDK itself stays free of dependencies.
   */
  WebSocket?: WebSocketConstructor | undefined;
}

/**
 * A merchant's client: customers, their wallets and metered usage, and what they buy (subscriptions,
 * purchases), in the key's environment.
 */
export class BuffMoneyClient {
  readonly environment: Environment;
  readonly customers: Customers;
  readonly wallets: Wallets;
  readonly usageEvents: UsageEvents;
  readonly usage: Usage;
  readonly rateCards: RateCards;
  readonly metrics: Metrics;
  readonly auditLog: AuditLog;
  readonly invoices: Invoices;
  readonly refunds: Refunds;
  readonly sandbox: Sandbox;
  readonly balance: Balances;
  readonly products: Products;
  readonly prices: Prices;
  readonly subscriptions: Subscriptions;
  readonly purchases: Purchases;
  readonly entitlements: Entitlements;
  readonly testClocks: TestClocks;
  readonly events: Events;
  readonly webhookEndpoints: WebhookEndpoints;

  constructor(options: ClientOptions) {
    this.environment = environmentOf(options.apiKey);
    const config = transportConfig(options.apiKey, options);
    const transport = new Transport(config);
    this.customers = new Customers(transport);
    this.wallets = new Wallets(transport);
    this.usageEvents = new UsageEvents(transport);
    this.usage = new Usage(transport);
    this.rateCards = new RateCards(transport);
    this.metrics = new Metrics(transport);
    this.auditLog = new AuditLog(transport);
    this.invoices = new Invoices(transport);
    this.refunds = new Refunds(transport);
    this.sandbox = new Sandbox(transport);
    this.balance = new Balances(transport);
    this.products = new Products(transport);
    this.prices = new Prices(transport);
    this.subscriptions = new Subscriptions(transport);
    this.purchases = new Purchases(transport);
    this.entitlements = new Entitlements(transport);
    this.testClocks = new TestClocks(transport);
    this.webhookEndpoints = new WebhookEndpoints(transport);
    this.events = new Events({
      baseUrl: config.baseUrl,
      token: config.token,
      retryDelayMsBase: config.retryDelayMsBase,
      WebSocket: options.WebSocket,
      checkKey: async () => {
        await transport.request({ method: "GET", path: "/v1/balance" });
      },
    });
  }
}

function environmentOf(apiKey: unknown): Environment {
  // The message never echoes the key: errors end up in logs.
  if (typeof apiKey === "string" && apiKey.startsWith("bm_test_")) return "test";
  if (typeof apiKey === "string" && apiKey.startsWith("bm_live_")) return "live";
  throw new TypeError('BuffMoney apiKey must start with "bm_test_" or "bm_live_".');
}
