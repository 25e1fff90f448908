import { Runtime } from "../../actors/runtime.js";
import { ingestBatch, ingestBatchEvents } from "./ingestWorkload.js";
import { seedIngestMerchant } from "./seedIngestMerchant.js";
import { tempDir } from "./tmp.js";

const adminToken = "bench-usage-crash-admin-token-0123456789";

/**
 * A usage-heavy ledger restarted after a crash: `customers` prepaid wallets charged by 500-event
 * batches, a checkpoint, `tailBatches` more, then the store closed without a checkpoint. Measures
 * Runtime.open, and the process's peak resident memory meanwhile (each batch is half a megabyte and
 * touches hundreds of wallets: recovery must not hold many at once).
 */
export async function usageCrashRestart(
  customers: number,
  batches: number,
  tailBatches: number,
  residentWalletsMax?: number,
) {
  const dir = await tempDir("usage-crash");
  const options = {
    dataDir: dir.path,
    adminToken,
    startTimers: false,
    ...(residentWalletsMax === undefined ? {} : { residentWalletsMax }),
  };
  try {
    const runtime = await Runtime.open(options);
    const { merchant } = await seedIngestMerchant(runtime, "Usage crash bench", customers);
    // Ingest straight into the runtime (no HTTP), one batch at a time: with fewer resident wallets
    // than customers, most events load a passivated wallet.
    const ingestStarted = performance.now();
    for (let i = 0; i < batches; i++)
      await runtime.usage.ingest("test", merchant.id, ingestBatch("a", customers));
    const ingestEventsPerSecond = (batches * ingestBatchEvents * 1000) / (performance.now() - ingestStarted);
    await runtime.checkpoint();
    for (let i = 0; i < tailBatches; i++)
      await runtime.usage.ingest("test", merchant.id, ingestBatch("b", customers));
    await runtime.log.flush();
    const records = runtime.log.head.seq;
    await runtime.log.close(); // a crash: no checkpoint at close

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
    const started = performance.now();
    const reopened = await Runtime.open(options);
    await reopened.log.verified;
    const ms = performance.now() - started;
    clearInterval(sampler);
    const recovery = reopened.recovery;
    await reopened.close();
    return {
      records,
      ms,
      recovery,
      ingestEventsPerSecond,
      rssBeforeMB: rssBefore / 2 ** 20,
      rssPeakMB: rssPeak / 2 ** 20,
    };
  } finally {
    await dir.remove();
  }
}
