import { BuffMoneyAdminClient } from "@buffmoney/sdk";
import { Runtime } from "../../actors/index.js";
import { startServer, type RunningServer } from "../../api/index.js";
import { tempDir } from "./tempDir.js";

export const adminToken = "e2e-admin-token";

/** A real server on an ephemeral port over a fresh ledger directory. */
export async function startTestServer(options: { dataDir?: string; startTimers?: boolean } = {}) {
  const dir = options.dataDir ? { path: options.dataDir, remove: async () => {} } : await tempDir();
  const runtime = await Runtime.open({
    dataDir: dir.path,
    adminToken,
    startTimers: options.startTimers ?? true,
  });
  const server: RunningServer = await startServer(runtime, { port: 0, host: "127.0.0.1" });
  const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: server.url });
  return {
    url: server.url,
    runtime,
    admin,
    dataDir: dir.path,
    async stop() {
      await server.close();
    },
    async remove() {
      await server.close();
      await dir.remove();
    },
  };
}
