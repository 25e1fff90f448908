import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** A free TCP port on 127.0.0.1 (the server with PORT=0 would not tell us which one it got). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM (graceful: flushes the ledger), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<string>;
}

/** The node arguments of `npm start` (flags and entry point), read from package.json: one source. */
async function startArguments(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
    scripts: { start: string };
  };
  const [command, ...args] = manifest.scripts.start.split(" ");
  if (command !== "node") throw new Error(`npm start runs ${command}, not node`);
  return args;
}

/** Starts the server as `npm start` runs it (`node … bin/server.ts`), as a child process. */
export async function startServerProcess(options: {
  dataDir: string;
  adminToken: string;
  startTimeoutMs?: number;
  /** More environment for the server (e.g. BUFFMONEY_PUBLIC_URL). */
  env?: (port: number) => Record<string, string>;
}): Promise<ServerProcess> {
  const port = await freePort();
  // BENCH_SERVER_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server.
  const extraFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...extraFlags, ...(await startArguments())], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      BUFFMONEY_DATA_DIR: options.dataDir,
      BUFFMONEY_ADMIN_TOKEN: options.adminToken,
      // One JSON line per request would fill `output` and measure the pipe; LOG_LEVEL=info measures it.
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      // The webhook benchmark's receiver listens on 127.0.0.1.
      BUFFMONEY_WEBHOOK_ALLOW_PRIVATE: "sandbox",
      ...options.env?.(port),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  // BENCH_SERVER_LOG (a file) keeps everything the server prints, e.g. with --trace-gc in the flags.
  const kept = process.env.BENCH_SERVER_LOG ? createWriteStream(process.env.BENCH_SERVER_LOG) : null;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    kept?.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code !== null ? String(code) : `signal ${signal}`)),
  );
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const started = performance.now();
  for (;;) {
    if (/listening on/.test(output)) break;
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output}`);
    if (performance.now() - started > timeoutMs) {
      child.kill("SIGKILL");
      throw new Error(`server did not start within ${timeoutMs} ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error("server has no pid");
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    child,
    output: () => output,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command name: field 14 (utime) and 15 (stime) are at index 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
