import { createHmac, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../actors/index.js";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Every file under `dir`, raw bytes: LevelDB tables and logs, the key file, anything else. */
async function filesIn(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, await readFile(path));
    }
  }
  return files;
}

function filesHolding(files: Map<string, Buffer>, text: string): string[] {
  return [...files].filter(([, bytes]) => bytes.includes(text)).map(([path]) => path);
}

async function receiver() {
  const received: { id: string; timestamp: string; signature: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const header = (name: string) => String(req.headers[name]);
      received.push({
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
      });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

/** Standard Webhooks verification, independent of the server's signer. */
function signedWith(secret: string, r: { id: string; timestamp: string; signature: string; body: string }) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${r.id}.${r.timestamp}.${r.body}`).digest("base64");
  return r.signature.split(" ").includes(`v1,${expected}`);
}

async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A ledger with one endpoint whose secret was rotated once (both sign during the overlap). */
async function ledgerWithRotatedSecret(secretKey?: string) {
  const dir = await tempDir();
  closers.push(dir.remove);
  const local = await receiver();
  const server = await startTestServer({ dataDir: dir.path, ...(secretKey ? { secretKey } : {}) });
  const merchant = await server.admin.merchants.create({ name: "Secrets" });
  const api = jsonClient(server.url, merchant.apiKeys.test);
  // Shaped like a secret (random base64), so that the scan below is seen to find such text.
  const marker = `marker_${randomBytes(24).toString("base64")}`;
  const request = { url: local.url, eventTypes: ["customer.created"], description: marker };
  const created = await api.post("/v1/webhook-endpoints", request, { "Idempotency-Key": "create-1" });
  const rotated = await api.post(
    `/v1/webhook-endpoints/${created.body.id}/rotate-secret`,
    {},
    {
      "Idempotency-Key": "rotate-1",
    },
  );
  expect([created.status, rotated.status]).toEqual([201, 200]);
  const replayed = await api.post("/v1/webhook-endpoints", request, { "Idempotency-Key": "create-1" });
  expect(replayed.body.secret).toBe(created.body.secret);
  await server.stop();
  return {
    dir: dir.path,
    local,
    merchant,
    marker,
    endpointId: created.body.id as string,
    secrets: [created.body.secret as string, rotated.body.secret as string],
  };
}

describe("webhook signing secrets at rest", () => {
  it("never leave plaintext in the data directory, the key file apart from the ledger", async () => {
    const ledger = await ledgerWithRotatedSecret();
    const files = await filesIn(ledger.dir);
    expect(filesHolding(files, ledger.marker).length).toBeGreaterThan(0);
    for (const secret of ledger.secrets) {
      expect(filesHolding(files, secret)).toEqual([]);
      expect(filesHolding(files, secret.slice("whsec_".length))).toEqual([]);
      expect(filesHolding(files, Buffer.from(secret.slice(6), "base64").toString("hex"))).toEqual([]);
    }
    const keyFile = join(ledger.dir, "secret.key");
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const key = (await readFile(keyFile, "utf8")).trim();
    expect(Buffer.from(key, "base64")).toHaveLength(32);
    expect(filesHolding(files, key)).toEqual([keyFile]);
  });

  it("sign deliveries with the same secrets after a restart", async () => {
    const ledger = await ledgerWithRotatedSecret();
    const server = await startTestServer({ dataDir: ledger.dir });
    closers.push(() => server.stop());
    await jsonClient(server.url, ledger.merchant.apiKeys.test).post("/v1/customers", { externalId: "after" });
    const delivered = await waitFor(() => ledger.local.received[0]);
    const [first, second] = ledger.secrets as [string, string];
    expect(signedWith(second, delivered)).toBe(true);
    expect(signedWith(first, delivered)).toBe(true);
    expect(delivered.signature.split(" ")).toHaveLength(2);
  });

  it("stop the start when the key is not the one that sealed them, or is missing", async () => {
    const configured = randomBytes(32).toString("base64");
    const ledger = await ledgerWithRotatedSecret(configured);
    const files = await filesIn(ledger.dir);
    expect([...files.keys()].some((path) => path.endsWith("secret.key"))).toBe(false);

    const open = (secretKey?: string) =>
      Runtime.open({ dataDir: ledger.dir, adminToken: "admin", startTimers: false, secretKey });
    await expect(open(randomBytes(32).toString("base64"))).rejects.toThrow(
      /BUFFMONEY_SECRET_KEY holds key \w+, but this ledger's webhook secrets are sealed under key \w+/,
    );
    await expect(open()).rejects.toThrow(
      /secret key \w+ that sealed this ledger's webhook secrets is missing/,
    );
    await expect(open("c2hvcnQ=")).rejects.toThrow(/BUFFMONEY_SECRET_KEY must be 32 bytes in base64/);
    const runtime = await open(configured);
    const endpoint = runtime.webhooks.endpoints.byIdUnscoped(ledger.endpointId);
    expect(endpoint?.secrets.map((s) => s.secret)).toEqual([...ledger.secrets].reverse());
    await runtime.close();
  });
});
