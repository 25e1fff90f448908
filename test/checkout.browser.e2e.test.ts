import { tmpdir } from "node:os";
import { join } from "node:path";
import BuffMoneyClient from "@buffmoney/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "./support/browser.js";
import { startTestServer } from "./support/server.js";

/** The hosted checkout page in a real browser: a buyer scans, pays in the sandbox, and sees it paid. */
let server: Awaited<ReturnType<typeof startTestServer>>;
let chromium: Awaited<ReturnType<typeof launchBrowser>>;
let browser: Browser;
let client: BuffMoneyClient;

beforeAll(async () => {
  [server, chromium] = await Promise.all([startTestServer({ collect: true }), launchBrowser()]);
  browser = chromium.browser;
  const merchant = await server.admin.merchants.create({ name: "深度求索 Demo" });
  client = new BuffMoneyClient({ apiKey: merchant.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
  await client.customers.create({ externalId: "user_42", name: "张三" });
});

afterAll(async () => {
  await chromium?.close();
  await server?.remove();
});

/**
 * A page in its own context, with its script errors collected. Contexts stay open until the browser
 * closes: `--single-process` (in @sparticuz/chromium's args) takes the browser down with a closed one.
 */
async function openPage(url: string, options: Parameters<Browser["newContext"]>[0] = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(url);
  return { page, errors };
}

async function payInBrowser(page: Page) {
  await page.getByRole("button", { name: /模拟支付/ }).click();
  // The page turns to paid by itself: its own poll of /status, no reload.
  await page.locator('#status[data-status="paid"]').waitFor({ timeout: 10_000 });
  expect(await page.locator("#status").textContent()).toContain("支付成功");
  expect(await page.locator("#pay").isHidden()).toBe(true);
}

describe("checkout page in a browser (sandbox)", () => {
  it("WeChat Pay QR: shows the amount, the merchant and the QR code; the simulated payment turns it paid and credits the wallet", async () => {
    const top = await client.wallets.topUp("user_42", { amount: "100.00", channel: "wechat_native" });
    const { page, errors } = await openPage(top.checkoutUrl);
    expect(await page.locator("h1").textContent()).toBe("深度求索 Demo");
    expect(await page.locator(".amount").textContent()).toBe("¥100.00");
    expect(await page.locator('#status[data-status="pending"]').count()).toBe(1);
    const qr = page.locator(".qr svg");
    expect(await qr.isVisible()).toBe(true);
    expect((await qr.boundingBox())?.width).toBeGreaterThanOrEqual(200);

    await payInBrowser(page);
    expect(errors).toEqual([]);
    expect(await client.wallets.retrieve("user_42")).toMatchObject({
      balance: "100.00",
      available: "100.00",
    });
    expect((await client.invoices.retrieve(top.invoiceId)).status).toBe("paid");
  });

  it("Alipay page: a link to the cashier; paid elsewhere, the open page notices by its own polling", async () => {
    const top = await client.wallets.topUp("user_42", { amount: "20.00", channel: "alipay_page" });
    const { page, errors } = await openPage(top.checkoutUrl);
    expect(await page.locator(".amount").textContent()).toBe("¥20.00");
    const cashier = page.getByRole("link", { name: /支付宝/ });
    expect(await cashier.getAttribute("href")).toMatch(new RegExp(`^${server.url}/sandbox/alipay/`));
    await client.sandbox.simulatePayment(top.invoiceId, { outcome: "succeeded" });
    await page.locator('#status[data-status="paid"]').waitFor({ timeout: 10_000 });
    expect(await page.locator("#pay").isHidden()).toBe(true);
    expect(errors).toEqual([]);
    expect((await client.wallets.retrieve("user_42")).balance).toBe("120.00");
  });

  it("fits a phone (390×844): nothing wider than the screen, the QR code and the pay button in the first screen", async () => {
    const top = await client.wallets.topUp("user_42", { amount: "100.00", channel: "wechat_native" });
    const { page, errors } = await openPage(top.checkoutUrl, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    for (const selector of [".amount", ".qr svg", "#simulate"]) {
      const box = await page.locator(selector).boundingBox();
      if (!box) throw new Error(`${selector} is not on the page`);
      expect(box.x, selector).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, selector).toBeLessThanOrEqual(390);
      expect(box.y + box.height, selector).toBeLessThanOrEqual(844);
    }
    const screenshot = join(tmpdir(), "buffmoney-checkout-390x844.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`checkout screenshot (390×844): ${screenshot}`);
    expect(errors).toEqual([]);
  });
});
