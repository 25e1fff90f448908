import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const listeningLine = /BuffMoney listening on http:\/\/localhost:(\d+)/;
const startTimeoutMs = 30_000;

export interface ChildServer {
  pid: number;
  url: string;
  /** Everything the process wrote so far, for failure messages. */
  output(): string;
  /** SIGKILL: no flush, no shutdown hook; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM: the server finishes requests and flushes the ledger; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Resolves with the exit code once the process has ended, however it ended. */
  exited: Promise<number | null>;
}

const spawned = new Set<ChildProcess>();

/** `node --import tsx bin/server.ts` on an ephemeral port; resolves once it says it is listening. */
export async function startChildServer(options: {
  dataDir: string;
  adminToken: string;
  /** More settings for the server (BUFFMONEY_RESIDENT_WALLETS_MAX…). */
  env?: Record<string, string>;
  /**
   * RLIMIT_FSIZE (`ulimit -f`, in 512-byte blocks): a write past this many bytes of any file fails
   * with EFBIG, cut short — storage that stops taking writes in the middle of a record.
   */
  fileSizeLimitBytes?: number;
}): Promise<ChildServer> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Receivers in tests listen on 127.0.0.1.
    BUFFMONEY_WEBHOOK_ALLOW_PRIVATE: "sandbox",
    PORT: "0",
    HOST: "127.0.0.1",
    // Request logs off: output is kept for failure messages (startup lines are plain console text).
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    ...options.env,
    BUFFMONEY_DATA_DIR: options.dataDir,
    BUFFMONEY_ADMIN_TOKEN: options.adminToken,
  };
  delete env.NODE_OPTIONS;
  const server = [process.execPath, "--import", "tsx", "bin/server.ts"];
  const [command, ...args] =
    options.fileSizeLimitBytes === undefined
      ? server
      : [
          "/bin/sh",
          "-c",
          `ulimit -f ${Math.ceil(options.fileSizeLimitBytes / 512)} && exec "$@"`,
          "sh",
          ...server,
        ];
  const child = spawn(command as string, args, {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawned.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      spawned.delete(child);
      resolve(code);
    });
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start in ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const read = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = listeningLine.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening:\n${output}`));
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("the server process has no pid");
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  return {
    pid,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    kill: async () => {
      await signal("SIGKILL");
    },
    stop: () => signal("SIGTERM"),
    exited,
  };
}

/** For afterAll/afterEach: SIGKILLs every server this module started that is still running. */
export async function killChildServers(): Promise<void> {
  const running = [...spawned];
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}
