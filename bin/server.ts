import { pino } from "pino";
import { limits } from "../domain/limits.js";
import { Runtime } from "../actors/index.js";
import { startServer } from "../api/index.js";
import { defaultPrivateAddressesAllowed, type PrivateAddressesAllowed } from "../domain/webhookUrls.js";
import { createWebhookSender, resolvedUrlRefusal } from "../effects/webhooks/index.js";
import { createCollectionWiring, liveChannelsFromEnv } from "./paymentWiring.js";
import { createInvoiceWiring } from "./invoiceWiring.js";

const dataDir = process.env.BUFFMONEY_DATA_DIR ?? "./data";

/** `npm start`: the API on PORT (default 4000) with the ledger in BUFFMONEY_DATA_DIR (default ./data). */
async function main(): Promise<void> {
  // JSON lines to stdout, written synchronously so nothing is lost on process.exit.
  const logger = pino({ level: logLevel(process.env.LOG_LEVEL) }, pino.destination({ dest: 1, sync: true }));
  // Settings are checked before anything touches the data directory (or a token is shown once).
  const port = listenPort(process.env.PORT);
  const adminToken = configuredAdminToken(process.env.BUFFMONEY_ADMIN_TOKEN);
  const residentWallets = residentWalletsMax(process.env.BUFFMONEY_RESIDENT_WALLETS_MAX);
  const privateAddresses = privateAddressesAllowed(process.env.BUFFMONEY_WEBHOOK_ALLOW_PRIVATE);
  // Checkout pages and channel callbacks point here; with PORT=0 it is known once listening.
  let publicUrl =
    httpUrl("BUFFMONEY_PUBLIC_URL", process.env.BUFFMONEY_PUBLIC_URL)?.replace(/\/+$/, "") ||
    (port ? `http://localhost:${port}` : "");
  const smtpUrl = smtpSetting(process.env.SMTP_URL);
  const collection = await createCollectionWiring({
    dataDir,
    publicUrl: () => publicUrl,
    retryScale: retryScale(process.env.BUFFMONEY_SANDBOX_CALLBACK_RETRY_SCALE),
    live: liveChannelsFromEnv(process.env),
  });
  // SMTP_URL enables invoice email (SMTP_FROM names the sender); PDFs are served either way.
  const invoices = createInvoiceWiring({
    smtpUrl,
    from: process.env.SMTP_FROM || undefined,
  });
  const runtime = await Runtime.open({
    dataDir,
    adminToken,
    secretKey: process.env.BUFFMONEY_SECRET_KEY || undefined,
    webhooks: {
      send: createWebhookSender(),
      checkUrl: resolvedUrlRefusal,
      privateAddressesAllowed: privateAddresses,
    },
    collection: { gateway: collection.gateway, publicUrl: () => publicUrl },
    invoiceEffects: invoices.effects,
    residentWalletsMax: residentWallets,
  });
  const { recovery } = runtime;
  console.log(
    `ledger at ${dataDir}: ${recovery.headSeq} records verified; replayed ${recovery.replayedRecords} after checkpoint ${recovery.checkpointSeq} in ${recovery.ms.toFixed(0)} ms`,
  );
  const { indexRepair } = runtime.log;
  if (indexRepair.rebuilt !== null)
    console.log(`entity index built again from the ledger: ${indexRepair.rebuilt}`);
  if (indexRepair.listedRecords > 0)
    console.log(`entity index: listed ${indexRepair.listedRecords} records it lacked`);
  if (runtime.generatedAdminToken) {
    console.log(
      `admin token (shown once; set BUFFMONEY_ADMIN_TOKEN to choose your own): ${runtime.generatedAdminToken}`,
    );
  } else if (!process.env.BUFFMONEY_ADMIN_TOKEN) {
    // The generated one was shown on the first start only and is kept hashed: say how to get another.
    console.log(
      "admin token: the one printed on the first start (stored hashed, not shown again); set BUFFMONEY_ADMIN_TOKEN to replace it",
    );
  }
  const running = await startServer(runtime, {
    port,
    host: process.env.HOST ?? "0.0.0.0",
    mount: collection.mount,
    logger,
    metricsToken: process.env.BUFFMONEY_METRICS_TOKEN || undefined,
  });
  publicUrl ||= `http://localhost:${running.port}`;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // Every answered request is already durable: stopping now loses only unanswered ones.
      console.log(`${signal} again: stopping now, without waiting for requests in flight`);
      process.exit(1);
    }
    stopping = true;
    console.log(
      `${signal}: finishing requests (at most ${limits.shutdownDrainMs / 1000} s), flushing the ledger; ${signal} again stops at once`,
    );
    Promise.all([collection.close(), running.close()]).then(
      () => {
        invoices.close();
        console.log(`stopped: the ledger is flushed and closed at record ${runtime.log.durableHead}`);
        process.exit(0);
      },
      (error: unknown) => {
        console.error("shutdown failed", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // Announced only once a signal would be handled: a supervisor may stop the server the moment it
  // reads this line, and a signal before the handlers would kill it without flushing the ledger.
  console.log(`BuffMoney listening on http://localhost:${running.port} (OpenAPI at /api/openapi)`);
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** LOG_LEVEL: one of pino's levels; unset, info. */
function logLevel(setting: string | undefined): string {
  if (!setting) return "info";
  if (!logLevels.includes(setting))
    throw new Error(`LOG_LEVEL is "${setting}": use one of ${logLevels.join(", ")}`);
  return setting;
}

/** An http(s) URL setting, or undefined when unset or empty. */
function httpUrl(name: string, setting: string | undefined): string | undefined {
  if (!setting) return undefined;
  if (!URL.canParse(setting) || !/^https?:$/.test(new URL(setting).protocol))
    throw new Error(`${name} is "${setting}": use an http or https URL, e.g. https://billing.example.com`);
  return setting;
}

/** SMTP_URL: smtp:// or smtps://; unset or empty, no invoice email. */
function smtpSetting(setting: string | undefined): string | undefined {
  if (!setting) return undefined;
  if (!URL.canParse(setting) || !/^smtps?:$/.test(new URL(setting).protocol))
    throw new Error(
      "SMTP_URL is not an smtp:// or smtps:// URL (e.g. smtps://user:pass@smtp.example.com:465)",
    );
  return setting;
}

/** BUFFMONEY_SANDBOX_CALLBACK_RETRY_SCALE: a positive factor on the simulators' retry delays; unset, 1. */
function retryScale(setting: string | undefined): number {
  if (!setting) return 1;
  const value = Number(setting);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`BUFFMONEY_SANDBOX_CALLBACK_RETRY_SCALE is "${setting}": use a positive number`);
  return value;
}

/** PORT: 0 to 65535 (0: any free port); unset or empty, 4000. */
function listenPort(setting: string | undefined): number {
  if (!setting) return 4000;
  const value = Number(setting);
  if (!/^\d+$/.test(setting) || value > 65_535)
    throw new Error(`PORT is "${setting}": use a whole number from 0 to 65535 (0 picks any free port)`);
  return value;
}

/** Shorter tokens could be guessed; the generated ones have 32 random characters. */
const adminTokenLengthMin = 16;

/** BUFFMONEY_ADMIN_TOKEN: at least 16 characters; unset or empty, one is generated on first start. */
function configuredAdminToken(setting: string | undefined): string | undefined {
  if (!setting) return undefined;
  if (setting.length < adminTokenLengthMin || /\s/.test(setting))
    throw new Error(
      `BUFFMONEY_ADMIN_TOKEN is too weak: use at least ${adminTokenLengthMin} characters and no spaces (e.g. openssl rand -hex 24)`,
    );
  return setting;
}

/** BUFFMONEY_WEBHOOK_ALLOW_PRIVATE: sandbox, true (both environments) or false; unset, neither. */
function privateAddressesAllowed(setting: string | undefined): PrivateAddressesAllowed {
  if (!setting) return defaultPrivateAddressesAllowed;
  if (setting === "sandbox") return { test: true, live: false };
  if (setting === "true" || setting === "false")
    return { test: setting === "true", live: setting === "true" };
  throw new Error(`BUFFMONEY_WEBHOOK_ALLOW_PRIVATE is "${setting}": use sandbox, true or false`);
}

/** BUFFMONEY_RESIDENT_WALLETS_MAX: wallets kept in memory (about 500 bytes each); unset, the default. */
function residentWalletsMax(setting: string | undefined): number | undefined {
  if (!setting) return undefined;
  const value = Number(setting);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(
      `BUFFMONEY_RESIDENT_WALLETS_MAX is "${setting}": use a whole number of wallets, at least 1`,
    );
  return value;
}

/** Why startup failed, with every cause: "Database failed to open" alone names neither store nor reason. */
function startupFailure(error: unknown): string {
  const messages: string[] = [];
  for (let cause: unknown = error; cause != null; cause = (cause as { cause?: unknown }).cause) {
    if ((cause as { code?: unknown }).code === "LEVEL_LOCKED") {
      return `the data directory ${dataDir} is in use by another process (its LevelDB lock is held): stop that server, or set BUFFMONEY_DATA_DIR to another directory`;
    }
    messages.push(cause instanceof Error ? cause.message : String(cause));
    if (typeof cause !== "object" || cause === null) break;
  }
  return messages.join(": ");
}

main().catch((error: unknown) => {
  console.error(startupFailure(error));
  process.exit(1);
});
