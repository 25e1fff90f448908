import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BuffMoneyClient } from "@buffmoney/sdk";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/**
 * The README's quick start is what a new user copies first: its TypeScript blocks run here, in
 * order, as one module against a real server, and what their comments promise is checked.
 */
const readme = new URL("../README.md", import.meta.url);
const sdkEntry = pathToFileURL(join(import.meta.dirname, "../sdk/dist/index.js")).href;

/** The ```ts blocks between "## Quick start" and the next section. */
function quickStartBlocks(markdown: string): string[] {
  const start = markdown.indexOf("\n## Quick start");
  const end = markdown.indexOf("\n## ", start + 1);
  if (start < 0 || end < 0) throw new Error("README has no Quick start section");
  const section = markdown.slice(start, end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
}

/** What the quick start's blocks define that the test reads back. */
interface QuickStart {
  client: BuffMoneyClient;
  wallet: Awaited<ReturnType<BuffMoneyClient["wallets"]["retrieve"]>>;
  results: Awaited<ReturnType<BuffMoneyClient["usageEvents"]["ingest"]>>["results"];
  usage: Awaited<ReturnType<BuffMoneyClient["usage"]["summary"]>>;
  product: { id: string };
  invoice: Awaited<ReturnType<BuffMoneyClient["invoices"]["retrieve"]>>;
  pdf: Uint8Array;
}

describe("README quick start", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    server = await startTestServer({ collect: true });
    dir = await tempDir("buffmoney-readme-");
  });
  afterAll(async () => {
    await server.remove();
    await dir.remove();
  });

  it("runs as written, and answers what its comments say", async () => {
    const blocks = quickStartBlocks(await readFile(readme, "utf8"));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const { apiKeys } = await server.admin.merchants.create({ name: "Acme AI" });
    const source = blocks
      .join("\n")
      .replace('from "@buffmoney/sdk"', `from ${JSON.stringify(sdkEntry)}`)
      .replace('"http://localhost:4000"', JSON.stringify(server.url))
      .concat("\nexport { client, wallet, results, usage, product, invoice, pdf };\n");
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const file = join(dir.path, "quickstart.mjs");
    await writeFile(file, outputText);

    process.env.BUFFMONEY_API_KEY = apiKeys.test;
    const ran = (await import(pathToFileURL(file).href)) as QuickStart;
    delete process.env.BUFFMONEY_API_KEY;

    expect(ran.wallet).toMatchObject({ balance: "99.85", available: "99.85" });
    expect(ran.results).toEqual([
      { idempotencyKey: "req-8841-output", status: "accepted", amount: "0.24", currency: "CNY" },
    ]);
    expect(ran.usage.groups).toEqual([
      expect.objectContaining({
        metric: "tokens_output",
        dimensions: { model: "deepseek-r1" },
        amount: "0.24",
      }),
    ]);
    expect(await ran.client.wallets.retrieve("user_42")).toMatchObject({ balance: "99.61" });
    expect(ran.invoice).toMatchObject({ number: "TEST-INV-000001", total: "299.00" });
    expect(await ran.client.entitlements.check("user_7", ran.product.id)).toMatchObject({ hasAccess: true });
    expect(Buffer.from(ran.pdf).subarray(0, 5).toString()).toBe("%PDF-");
  });
});
