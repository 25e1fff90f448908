import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "./support/browser.js";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";

/**
 * The webhook console (`GET /webhooks`) in a real browser. Goal: a merchant signs in with an API
 * key, sees an endpoint's health and deliveries, opens one to read its payload and attempts, and
 * replays it. Method: a local receiver that fails each event's first request and accepts the
 * rest, fast retries, and the JSON API as the independent witness of what the page did.
 */

/** Tests read response bodies freely; each test asserts the shapes it relies on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let server: Awaited<ReturnType<typeof startTestServer>>;
let chromium: Awaited<ReturnType<typeof launchBrowser>>;
let browser: Browser;
let receiver: { url: string; requests: string[]; close: () => Promise<void> };
let api: ReturnType<typeof jsonClient>;
let apiKey: string;
let endpoint: Json;

/** Answers 500 ("not yet") to the first request of each webhook-id, 200 to the others. */
async function startReceiver() {
  const requests: string[] = [];
  const httpServer: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const id = String(req.headers["webhook-id"]);
      const first = !requests.includes(id);
      requests.push(id);
      res.statusCode = first ? 500 : 200;
      res.end(first ? "not yet <b>ready</b>" : "ok");
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
}

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function deliveries(query = ""): Promise<Json[]> {
  return (await api.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=100${query}`)).body.data;
}

beforeAll(async () => {
  [server, chromium, receiver] = await Promise.all([
    startTestServer({
      webhooks: { scheduleMs: [50, 100, 100, 100], jitterRatio: 0, requestTimeoutMs: 1_000 },
    }),
    launchBrowser(),
    startReceiver(),
  ]);
  browser = chromium.browser;
  apiKey = (await server.admin.merchants.create({ name: "Console" })).apiKeys.test;
  api = jsonClient(server.url, apiKey);
  endpoint = (
    await api.post("/v1/webhook-endpoints", {
      url: receiver.url,
      eventTypes: ["*"],
      description: '<img src=x onerror="window.injected=1"> CRM sync',
    })
  ).body;
  await api.post("/v1/customers", { externalId: "wc-1", name: "Li Lei" });
  await api.post("/v1/customers/wc-1/wallet/grants", { amount: "10", reason: "welcome" });
  await api.post("/v1/customers/wc-1/wallet/grants", { amount: "5", reason: "bonus" });
  // Every event failed once, then succeeded on the first retry.
  await waitFor(async () => {
    const all = await deliveries();
    return all.length === 3 && all.every((d) => d.status === "succeeded" && d.attemptCount === 2);
  });
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await server?.remove();
  await receiver?.close();
});

/**
 * A page in its own context, with its script errors collected. Contexts stay open until the browser
 * closes: `--single-process` (in @sparticuz/chromium's args) takes the browser down with a closed one.
 */
async function openConsole(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(`${server.url}/webhooks`);
  return { page, errors };
}

async function signIn(page: Page) {
  await page.getByLabel("Merchant API key").fill(apiKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(`[data-endpoint="${endpoint.id}"]`).waitFor();
}

describe("webhook console API additions", () => {
  it("reports an endpoint's health, a delivery's event, and filters deliveries by event type and id", async () => {
    const health = (await api.get(`/v1/webhook-endpoints/${endpoint.id}/health`)).body;
    expect(health).toMatchObject({ object: "webhook_endpoint_health", consecutiveFailures: 0 });
    expect(health.failingSince).toBeNull();
    expect(Date.parse(health.lastSucceededAt)).toBeGreaterThan(Date.now() - 60_000);

    const granted = await deliveries("&eventType=wallet.granted");
    expect(granted.map((d) => d.eventType)).toEqual(["wallet.granted", "wallet.granted"]);
    const [one] = granted;
    const byId = await deliveries(`&eventId=${one.eventId}`);
    expect(byId.map((d) => d.id)).toEqual([one.id]);
    const event = (await api.get(`/v1/webhook-deliveries/${one.id}/event`)).body;
    expect(event).toMatchObject({ object: "event", id: one.eventId, type: "wallet.granted" });
  });
});

describe("webhook console in a browser", () => {
  it("serves a self-contained page that only talks to this server", async () => {
    const response = await fetch(`${server.url}/webhooks`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/);
  });

  it("signs in, shows the endpoint and its deliveries, opens one, and replays it", async () => {
    const { page, errors } = await openConsole();
    await signIn(page);
    expect(await page.evaluate('sessionStorage.getItem("buffmoney.webhooks.apiKey")')).toBe(apiKey);

    const card = page.locator(`[data-endpoint="${endpoint.id}"]`);
    expect(await card.locator(".url").textContent()).toBe(receiver.url);
    expect(await card.locator(".badge").first().textContent()).toBe("enabled");
    // Rendered as text, never as markup.
    expect(await card.textContent()).toContain('<img src=x onerror="window.injected=1"> CRM sync');
    expect(await page.evaluate('"injected" in window')).toBe(false);
    await expect.poll(() => card.locator("[data-field=streak]").textContent()).toBe("0");
    expect(await card.locator("[data-field=success]").textContent()).toMatch(/^\d{4}-\d\d-\d\d /);

    const rows = page.locator("tr.delivery");
    await expect.poll(() => rows.count()).toBe(3);
    await page.locator("#event-type").selectOption("wallet.granted");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => rows.count()).toBe(2);

    const target = (await deliveries("&eventType=wallet.granted"))[0];
    await page.locator("#search").fill(target.eventId);
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().click();
    const attempts = page.locator("#attempts tr.attempt");
    await expect.poll(() => attempts.count()).toBe(2);
    expect(await attempts.nth(0).textContent()).toContain("500");
    expect(await attempts.nth(0).textContent()).toContain("not yet <b>ready</b>");
    expect(await attempts.nth(1).textContent()).toContain("200");
    const payload = JSON.parse((await page.locator("#payload").textContent()) ?? "") as Json;
    expect(payload).toMatchObject({ id: target.eventId, type: "wallet.granted" });

    const sentBefore = receiver.requests.filter((id) => id === target.eventId).length;
    await page.locator(`tr[data-delivery="${target.id}"] [data-action=replay]`).click();
    await expect.poll(() => attempts.count(), { timeout: 10_000 }).toBe(3);
    expect(await attempts.nth(2).textContent()).toContain("200");
    expect(await page.locator("#message").textContent()).toContain("the endpoint answered 200");
    const after = (await api.get(`/v1/webhook-deliveries/${target.id}`)).body;
    expect(after).toMatchObject({ status: "succeeded", attemptCount: 3 });
    expect(receiver.requests.filter((id) => id === target.eventId)).toHaveLength(sentBefore + 1);

    const screenshot = join(tmpdir(), "buffmoney-webhook-console-1280x900.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`webhook console screenshot: ${screenshot}`);
    expect(errors).toEqual([]);
  });

  it("replays a range of events for an endpoint", async () => {
    const { page, errors } = await openConsole();
    // Each context is a new tab session: sign in again.
    await signIn(page);
    const before = (await deliveries()).length;
    const card = page.locator(`[data-endpoint="${endpoint.id}"]`);
    await card.getByText("Replay a range of events").click();
    await card.locator("select").selectOption("customer.created");
    await card.getByRole("button", { name: "Replay range" }).click();
    await expect.poll(() => page.locator("#message").textContent()).toMatch(/Replay queued 1 deliveries/);
    const replayed = await waitFor(async () => {
      const all = await deliveries();
      return all.length === before + 1 && all.find((d) => d.replay);
    });
    expect(replayed.eventType).toBe("customer.created");
    await expect.poll(() => page.locator("tr.delivery").count()).toBe(before + 1);
    expect(errors).toEqual([]);
  });

  it("refuses a wrong key and returns to the sign-in form", async () => {
    const { page, errors } = await openConsole();
    await page.getByLabel("Merchant API key").fill("bm_test_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#signin-error").textContent()).toContain("not accepted");
    expect(await page.locator("#console").isHidden()).toBe(true);
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    // The 401 from the API is logged by the browser as a failed resource load.
    expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
  });

  it("shows the API's refusal to replay to a disabled endpoint, and its status", async () => {
    expect((await api.post(`/v1/webhook-endpoints/${endpoint.id}/disable`, {})).body.status).toBe("disabled");
    const { page, errors } = await openConsole();
    await signIn(page);
    const card = page.locator(`[data-endpoint="${endpoint.id}"]`);
    expect(await card.locator(".badge").first().textContent()).toBe("disabled");
    await page.locator("tr.delivery [data-action=replay]").first().click();
    await expect.poll(() => page.locator("#message.error").textContent()).toContain("enable it first");
    expect(errors.filter((e) => !e.includes("409"))).toEqual([]);
  });
});
