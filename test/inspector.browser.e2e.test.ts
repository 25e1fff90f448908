import { tmpdir } from "node:os";
import { join } from "node:path";
import BuffMoneyClient from "@buffmoney/sdk";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "./support/browser.js";
import { startTestServer } from "./support/server.js";

/**
 * The inspector page in a real browser: sign in with a sandbox key, find a frozen wallet by its
 * customer's externalId, see the chart with `frozen` highlighted and the log of its transitions,
 * then unfreeze through the API and watch the page follow over the WebSocket feed, without reload.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let chromium: Awaited<ReturnType<typeof launchBrowser>>;
let browser: Browser;
let client: BuffMoneyClient;
let key: string;

beforeAll(async () => {
  [server, chromium] = await Promise.all([startTestServer({ startTimers: false }), launchBrowser()]);
  browser = chromium.browser;
  key = (await server.admin.merchants.create({ name: "Inspector Demo" })).apiKeys.test;
  client = new BuffMoneyClient({ apiKey: key, baseUrl: server.url, maxRetries: 0 });
  await client.customers.create({ externalId: "user_7", name: "李四" });
  await client.wallets.grant("user_7", { amount: "12.50", reason: "welcome" });
  await client.wallets.freeze("user_7", { reason: "chargeback review" });
});

afterAll(async () => {
  await chromium?.close();
  await server?.remove();
});

describe("inspector page in a browser (sandbox)", () => {
  it("draws the wallet's statechart with its state highlighted, and follows an unfreeze live", async () => {
    // The context stays open until the browser closes (see checkout.browser.e2e.test.ts).
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${server.url}/inspector`);

    await page.getByLabel("API key").fill(key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByLabel("Customer externalId").fill("user_7");
    await page.getByRole("button", { name: "Open wallet" }).click();

    await page.locator('#chart .node.current[data-state="frozen"]').waitFor({ timeout: 10_000 });
    expect(await page.locator("#chart .node").count()).toBe(2);
    expect(await page.locator("#chart .node.current").count()).toBe(1);
    expect(await page.locator('#states .state.current[data-state="frozen"]').count()).toBe(1);
    expect(await page.locator('#states .state[data-state="frozen"]').textContent()).toContain(
      "wallet.unfreeze → active",
    );
    expect(await page.locator("#state-value").textContent()).toBe("frozen");
    expect(await page.locator("#context").textContent()).toContain('"balanceMicros": "12500000"');
    const rows = page.locator("#log tr");
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain("wallet.freeze");
    expect(await rows.nth(0).locator(".arrow").textContent()).toBe("active → frozen");
    expect(await rows.nth(1).textContent()).toContain("wallet.granted");
    await page.locator('#live[data-live="on"]').waitFor({ timeout: 10_000 });
    const frozenShot = join(tmpdir(), "buffmoney-inspector-frozen.png");
    await page.screenshot({ path: frozenShot, fullPage: true });

    await client.wallets.unfreeze("user_7");
    // The feed's wallet.unfrozen event makes the page refetch: no reload, no polling.
    await page.locator('#chart .node.current[data-state="active"]').waitFor({ timeout: 10_000 });
    expect(await page.locator("#state-value").textContent()).toBe("active");
    expect(await page.locator('#states .state.current[data-state="active"]').count()).toBe(1);
    expect(await rows.count()).toBe(3);
    expect(await rows.nth(0).getAttribute("class")).toBe("changed");
    expect(await rows.nth(0).locator(".arrow").textContent()).toBe("frozen → active");
    expect(await page.locator('#chart .edge.taken[data-from="frozen"][data-to="active"]').count()).toBe(1);
    const activeShot = join(tmpdir(), "buffmoney-inspector-active.png");
    await page.screenshot({ path: activeShot, fullPage: true });
    console.log(`inspector screenshots: ${frozenShot} ${activeShot}`);
    expect(errors).toEqual([]);
  });
});
