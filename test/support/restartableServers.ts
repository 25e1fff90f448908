import { afterAll, afterEach } from "vitest";
import { killChildServers } from "./childServer.js";
import { startTestServer } from "./server.js";
import { tempDir } from "./tempDir.js";

type TestServer = Awaited<ReturnType<typeof startTestServer>>;
type ServerOptions = NonNullable<Parameters<typeof startTestServer>[0]>;

/**
 * For tests that stop servers and start them again over the same data directory: servers still
 * running are stopped after each test; child servers and the directories go after the file's tests.
 */
export function restartableServers(defaults: ServerOptions = {}) {
  const dirs: Array<Awaited<ReturnType<typeof tempDir>>> = [];
  const running = new Set<TestServer>();
  afterEach(async () => {
    for (const server of running) await server.stop();
    running.clear();
  });
  afterAll(async () => {
    await killChildServers();
    for (const dir of dirs) await dir.remove();
  });
  return {
    /** A data directory, removed after the file's tests. */
    async tempDir(prefix?: string) {
      const dir = await tempDir(prefix);
      dirs.push(dir);
      return dir;
    },
    async start(dataDir: string, options: ServerOptions = {}): Promise<TestServer> {
      const server = await startTestServer({ ...defaults, dataDir, ...options });
      running.add(server);
      return server;
    },
    async stop(server: TestServer): Promise<void> {
      running.delete(server);
      await server.stop();
    },
  };
}
