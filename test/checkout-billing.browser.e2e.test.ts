import { tmpdir } from "node:os";
import { join } from "node:path";
import BuffMoneyClient from "@buffmoney/sdk";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "./support/browser.js";
import { startTestServer } from "./support/server.js";

/**
 * The hosted checkout page of a subscription or purchase invoice: it has no payment attempt until
 * the buyer picks a channel on the page, then it pays like a top-up's page.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let chromium: Awaited<ReturnType<typeof launchBrowser>>;
let browser: Browser;
let client: BuffMoneyClient;

beforeAll(async () => {
  [server, chromium] = await Promise.all([startTestServer({ collect: true }), launchBrowser()]);
  browser = chromium.browser;
  const merchant = await server.admin.merchants.create({ name: "月之暗面 Studio" });
  client = new BuffMoneyClient({ apiKey: merchant.apiKeys.test, baseUrl: server.url, maxRetries: 0 });
  await client.customers.create({ externalId: "buyer_7", name: "李四", email: "lisi@example.com" });
});

afterAll(async () => {
  await chromium?.close();
  await server?.remove();
});

const day = 24 * 3600 * 1000;

/** A one-time price and a purchase of it by `customer`: its invoice is open, with no attempt yet. */
async function purchase(customer = "buyer_7", unitAmount = "99.00") {
  const product = await client.products.create({ name: "Lifetime access", nameZh: "终身会员" });
  const price = await client.prices.create({ productId: product.id, type: "one_time", unitAmount });
  const bought = await client.purchases.create({ customerExternalId: customer, priceId: price.id });
  const invoice = await client.invoices.retrieve(bought.invoiceId);
  return { product, bought, invoice };
}

/** The public page's endpoints: no API key, as a buyer's browser calls them. */
async function call(method: "GET" | "POST", path: string, body?: unknown) {
  const response = await fetch(server.url + path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    text,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    json: (type.includes("json") ? JSON.parse(text) : null) as any,
  };
}

describe("a purchase's checkout page in a browser (sandbox)", () => {
  it("shows the invoice, lets the buyer pick WeChat Pay, shows the QR code; the simulated payment turns it paid and grants the entitlement", async () => {
    const { product, bought, invoice } = await purchase();
    expect(invoice).toMatchObject({ status: "open", payment: null, total: "99.00" });

    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(invoice.checkoutUrl);

    expect(await page.locator("h1").textContent()).toBe("月之暗面 Studio");
    expect(await page.locator(".amount").textContent()).toBe("¥99.00");
    expect(await page.locator('#status[data-status="open"]').count()).toBe(1);
    const body = (await page.locator("body").textContent()) ?? "";
    expect(body).toContain(invoice.number!);
    expect(body).toContain("购买账单 · Purchase invoice");
    expect(await page.locator(".lines tbody tr").count()).toBe(invoice.lines.length);
    expect(await page.locator(".lines tbody td").first().textContent()).toBe(invoice.lines[0]!.description);
    expect(await page.locator(".lines tr.total td").textContent()).toBe("¥99.00");
    // The id is the capability: nothing of the customer's is on the page.
    const html = await page.content();
    for (const secret of ["buyer_7", "lisi@example.com", "李四", "cus_"]) expect(html).not.toContain(secret);
    expect(await page.locator(".qr").count()).toBe(0);

    await page.getByRole("button", { name: /微信支付/ }).click();
    // The page reloads with the attempt: the QR code and the sandbox's pay button, as for a top-up.
    await page.locator(".qr svg").waitFor({ timeout: 10_000 });
    expect(await page.locator('#status[data-status="pending"]').count()).toBe(1);
    expect(await page.locator("#choose").count()).toBe(0);
    const started = await client.invoices.retrieve(invoice.id);
    expect(started.payment).toMatchObject({ channel: "wechat_native", status: "pending" });

    await page.getByRole("button", { name: /模拟支付/ }).click();
    await page.locator('#status[data-status="paid"]').waitFor({ timeout: 10_000 });
    expect(await page.locator("#status").textContent()).toContain("支付成功");
    expect(await page.locator("#pay").isHidden()).toBe(true);
    expect(errors).toEqual([]);

    expect((await client.invoices.retrieve(invoice.id)).status).toBe("paid");
    expect((await client.purchases.retrieve(bought.id)).status).toBe("paid");
    expect((await client.entitlements.check("buyer_7", product.id)).hasAccess).toBe(true);
    // A paid invoice's page says so and offers nothing to pay.
    const again = await call("GET", new URL(invoice.checkoutUrl).pathname);
    expect(again.text).toContain('data-status="paid"');
    expect(again.text).not.toContain("data-channel=");
  });

  it("Alipay: the cashier link, returning to this page; paid elsewhere, the open page notices by itself", async () => {
    const { invoice } = await purchase("buyer_7", "12.50");
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(invoice.checkoutUrl);
    await page.getByRole("button", { name: /支付宝/ }).click();
    const cashier = page.getByRole("link", { name: /支付宝/ });
    await cashier.waitFor({ timeout: 10_000 });
    expect(await cashier.getAttribute("href")).toMatch(new RegExp(`^${server.url}/sandbox/alipay/`));
    await client.sandbox.simulatePayment(invoice.id, { outcome: "succeeded" });
    await page.locator('#status[data-status="paid"]').waitFor({ timeout: 10_000 });
    expect(await page.locator("#pay").isHidden()).toBe(true);
  });
  it("fits a phone (390×844): the channel choice, then the QR code and the pay button, in the first screen", async () => {
    const { invoice } = await purchase();
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await page.goto(invoice.checkoutUrl);
    const inFirstScreen = async (selectors: string[]) => {
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
      for (const selector of selectors) {
        const box = await page.locator(selector).first().boundingBox();
        if (!box) throw new Error(`${selector} is not on the page`);
        expect(box.x, selector).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width, selector).toBeLessThanOrEqual(390);
        expect(box.y + box.height, selector).toBeLessThanOrEqual(844);
      }
    };
    await inFirstScreen([
      ".amount",
      ".lines",
      '[data-channel="wechat_native"]',
      '[data-channel="alipay_page"]',
    ]);
    await page.screenshot({
      path: join(tmpdir(), "buffmoney-checkout-billing-choose-390x844.png"),
      fullPage: true,
    });
    await page.locator('[data-channel="wechat_native"]').tap();
    await page.locator(".qr svg").waitFor({ timeout: 10_000 });
    await inFirstScreen([".amount", ".qr svg", "#simulate"]);
    const screenshot = join(tmpdir(), "buffmoney-checkout-billing-390x844.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`billing checkout screenshot (390×844): ${screenshot}`);
  });
});

describe("the pay endpoint (HTTP)", () => {
  it("validates its input and answers 404 for what is not an open billing invoice's checkout", async () => {
    const { invoice } = await purchase();
    const pay = `/checkout/${invoice.id}/pay`;
    for (const body of [{}, { channel: "wechat_jsapi" }, { channel: "wechat_native", amount: "0.01" }]) {
      const refused = await call("POST", pay, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.json.code).toBe("invalid_request");
    }
    const form = await fetch(server.url + pay, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "channel=wechat_native",
    });
    expect(form.status).toBe(400);

    expect(
      (await call("POST", "/checkout/inv_00000000000000000000/pay", { channel: "wechat_native" })).status,
    ).toBe(404);
    expect((await call("POST", "/checkout/nope/pay", { channel: "wechat_native" })).status).toBe(404);
    expect((await call("GET", "/checkout/inv_00000000000000000000/status")).status).toBe(404);
    // A top-up has its order from the start: its page pays it, not this endpoint.
    const top = await client.wallets.topUp("buyer_7", { amount: "5.00", channel: "wechat_native" });
    const topUpPay = await call("POST", `/checkout/${top.invoiceId}/pay`, { channel: "wechat_native" });
    expect(topUpPay.status).toBe(404);
    expect((await call("GET", `/checkout/${top.invoiceId}/status`)).json).toMatchObject({
      status: "pending",
      amount: "5.00",
    });
    expect((await client.invoices.retrieve(invoice.id)).payment).toBeNull();
  });

  it("is idempotent: clicks at once get one live attempt; another channel waits for it; an expired attempt lets the buyer choose again", async () => {
    const { invoice } = await purchase();
    const pay = `/checkout/${invoice.id}/pay`;
    expect((await call("GET", `/checkout/${invoice.id}/status`)).json).toMatchObject({
      object: "checkout_status",
      status: "open",
      amount: "99.00",
      currency: "CNY",
    });

    const [first, second] = await Promise.all([
      call("POST", pay, { channel: "wechat_native" }),
      call("POST", pay, { channel: "wechat_native" }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.json).toMatchObject({ status: "pending", channel: "wechat_native", amount: "99.00" });
    expect(first.json.action.type).toBe("qr_code");
    expect(second.json.action).toEqual(first.json.action);
    const third = await call("POST", pay, { channel: "wechat_native" });
    expect(third.json.action).toEqual(first.json.action);
    const other = await call("POST", pay, { channel: "alipay_page" });
    expect(other.status).toBe(409);
    expect(other.json.code).toBe("payment_in_progress");
    const attempt = (await client.invoices.retrieve(invoice.id)).payment;
    expect(attempt).toMatchObject({ channel: "wechat_native", status: "pending" });

    // The attempt expires unpaid: the invoice is still open, and the page offers the channels again.
    await client.sandbox.simulatePayment(invoice.id, { outcome: "expired" });
    expect((await call("GET", `/checkout/${invoice.id}/status`)).json.status).toBe("open");
    const page = await call("GET", `/checkout/${invoice.id}`);
    expect(page.text).toContain("上次支付已过期");
    expect(page.text).toContain('data-channel="wechat_native"');
    const retried = await call("POST", pay, { channel: "alipay_page" });
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ status: "pending", channel: "alipay_page" });
    expect(retried.json.action.type).toBe("alipay_form");
    expect((await client.invoices.retrieve(invoice.id)).payment?.id).not.toBe(attempt?.id);

    await client.sandbox.simulatePayment(invoice.id, { outcome: "succeeded" });
    const late = await call("POST", pay, { channel: "wechat_native" });
    expect(late.status).toBe(409);
    expect(late.json.code).toBe("invoice_not_open");
    expect((await call("GET", `/checkout/${invoice.id}/status`)).json.status).toBe("paid");
  });

  it("a voided invoice's page says so and cannot be paid", async () => {
    const product = await client.products.create({ name: "AI Studio" });
    const price = await client.prices.create({
      productId: product.id,
      type: "recurring",
      interval: "month",
      unitAmount: "149.00",
    });
    const start = Date.parse("2026-05-01T00:00:00+08:00");
    const clock = await client.testClocks.create({ frozenTime: new Date(start) });
    await client.customers.create({ externalId: "lapsed", testClockId: clock.id });
    const sub = await client.subscriptions.create({ customerExternalId: "lapsed", priceId: price.id });
    const invoice = await client.invoices.retrieve(sub.latestInvoiceId!);
    const open = await call("GET", new URL(invoice.checkoutUrl).pathname);
    expect(open.text).toContain("订阅账单 · Subscription invoice");

    // Never paid: the incomplete subscription expires and its first invoice is voided.
    await client.testClocks.advance(clock.id, { frozenTime: new Date(start + 2 * day) });
    expect((await client.invoices.retrieve(invoice.id)).status).toBe("void");
    const voided = await call("GET", `/checkout/${invoice.id}`);
    expect(voided.status).toBe(200);
    expect(voided.text).toContain('data-status="void"');
    expect(voided.text).toContain("账单已作废");
    expect(voided.text).not.toContain("data-channel=");
    expect((await call("GET", `/checkout/${invoice.id}/status`)).json.status).toBe("void");
    const pay = await call("POST", `/checkout/${invoice.id}/pay`, { channel: "wechat_native" });
    expect(pay.status).toBe(409);
    expect(pay.json.code).toBe("invoice_not_open");
  });

  it("is rate limited per invoice: a loop is cut off with 429 and Retry-After", async () => {
    const { invoice } = await purchase();
    const pay = `/checkout/${invoice.id}/pay`;
    const answers = [];
    for (let i = 0; i < 11; i += 1) answers.push(await call("POST", pay, { channel: "bogus" }));
    expect(answers.slice(0, 10).every((answer) => answer.status === 400)).toBe(true);
    expect(answers[10]).toMatchObject({ status: 429 });
    expect(answers[10]!.json.code).toBe("rate_limited");
    expect(Number(answers[10]!.retryAfter)).toBeGreaterThanOrEqual(1);
  });
});
