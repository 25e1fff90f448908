import { BuffMoneyAdminClient } from "@buffmoney/sdk";
import { Runtime } from "../../actors/index.js";
import { startServer, type RunningServer } from "../../api/index.js";
import { tempDir } from "./tempDir.js";
import type { CollectionOptions, InvoiceEffects, WebhookOptions } from "../../actors/index.js";
import type { BillingOptions } from "../../actors/billing.js";
import type { FeedOptions } from "../../api/feed.js";
import { createWebhookSender } from "../../effects/webhooks/index.js";
import { createCollectionWiring } from "../../bin/paymentWiring.js";
import { renderInvoicePdf } from "../../effects/index.js";

export const adminToken = "e2e-admin-token-0123456789";

/** A real server on an ephemeral port over a fresh ledger directory. */
export async function startTestServer(
  options: {
    dataDir?: string;
    startTimers?: boolean;
    webhooks?: WebhookOptions;
    /** Invoice PDFs and email (see invoiceMail.ts: startInvoiceTestServer); by default PDFs only. */
    invoiceEffects?: InvoiceEffects;
    /** BUFFMONEY_SECRET_KEY; otherwise the data directory's key file. */
    secretKey?: string;
    feed?: FeedOptions;
    /** Sandbox collection: the channel simulators mounted on the server, callbacks retried 1000× faster. */
    collect?: boolean;
    /** Collection timing (e.g. a short reconcileAfterMs), with `collect`. */
    collection?: Pick<CollectionOptions, "reconcileAfterMs" | "orderExpiryMs">;
    /** Subscription grace, dunning and first-invoice expiry (e.g. short ones for real-time timers). */
    billing?: BillingOptions;
    /** Wallets kept in memory; past it the least recently used are passivated to snapshots. */
    residentWalletsMax?: number;
    /** One merchant's requests in flight per environment (api/tenantShare.ts). */
    requestsInFlightPerMerchantMax?: number;
  } = {},
) {
  const dir = options.dataDir ? { path: options.dataDir, remove: async () => {} } : await tempDir();
  let publicUrl = "";
  const collection = options.collect
    ? await createCollectionWiring({ dataDir: dir.path, publicUrl: () => publicUrl, retryScale: 0.001 })
    : undefined;
  const runtime = await Runtime.open({
    dataDir: dir.path,
    adminToken,
    startTimers: options.startTimers ?? true,
    secretKey: options.secretKey,
    // Tests receive webhooks on 127.0.0.1, as one developer's server would (BUFFMONEY_WEBHOOK_ALLOW_PRIVATE=sandbox).
    webhooks: {
      send: createWebhookSender(),
      privateAddressesAllowed: { test: true, live: false },
      ...options.webhooks,
    },
    invoiceEffects: options.invoiceEffects ?? { renderPdf: renderInvoicePdf },
    ...(options.billing ? { billing: options.billing } : {}),
    ...(options.residentWalletsMax ? { residentWalletsMax: options.residentWalletsMax } : {}),
    ...(collection
      ? { collection: { gateway: collection.gateway, publicUrl: () => publicUrl, ...options.collection } }
      : {}),
  });
  const server: RunningServer = await startServer(runtime, {
    port: 0,
    host: "127.0.0.1",
    ...(options.feed ? { feed: options.feed } : {}),
    ...(collection ? { mount: collection.mount } : {}),
    ...(options.requestsInFlightPerMerchantMax === undefined
      ? {}
      : { requestsInFlightPerMerchantMax: options.requestsInFlightPerMerchantMax }),
  });
  publicUrl = server.url;
  const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: server.url });
  return {
    url: server.url,
    runtime,
    feed: server.feed,
    admin,
    dataDir: dir.path,
    collection,
    async stop() {
      await collection?.close();
      await server.close();
    },
    async remove() {
      await collection?.close();
      await server.close();
      await dir.remove();
    },
  };
}
