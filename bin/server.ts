import { Runtime } from "../actors/index.js";
import { startServer } from "../api/index.js";

/** `npm start`: the API on PORT (default 4000) with the ledger in BUFFMONEY_DATA_DIR (default ./data). */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 4000);
  const dataDir = process.env.BUFFMONEY_DATA_DIR ?? "./data";
  const runtime = await Runtime.open({ dataDir, adminToken: process.env.BUFFMONEY_ADMIN_TOKEN || undefined });
  const { recovery } = runtime;
  console.log(
    `ledger at ${dataDir}: ${recovery.headSeq} records verified; replayed ${recovery.replayedRecords} after checkpoint ${recovery.checkpointSeq} in ${recovery.ms.toFixed(0)} ms`,
  );
  if (runtime.generatedAdminToken) {
    console.log(
      `admin token (shown once; set BUFFMONEY_ADMIN_TOKEN to choose your own): ${runtime.generatedAdminToken}`,
    );
  }
  const running = await startServer(runtime, { port, host: process.env.HOST ?? "0.0.0.0" });
  console.log(`BuffMoney listening on http://localhost:${running.port} (OpenAPI at /api/openapi)`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing requests, flushing the ledger`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("shutdown failed", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
