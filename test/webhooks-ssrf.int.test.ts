import type * as nodeDns from "node:dns";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  defaultPrivateAddressesAllowed,
  nonPublicAddressKind,
  webhookUrlRefusal,
} from "../domain/webhookUrls.js";
import { createWebhookSender, resolvedUrlRefusal } from "../effects/webhooks/index.js";
import { jsonClient } from "./support/http.js";
import { startTestServer } from "./support/server.js";
import { tempDir } from "./support/tempDir.js";

/** Tests read response bodies freely; each test asserts the shapes it relies on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** DNS as these tests script it: `*.rebind.test` names answer what `answers` says, in turn. */
const dns = vi.hoisted(() => ({ answers: new Map<string, string[][]>(), asked: [] as string[] }));
vi.mock("node:dns", async (original) => {
  const real = await original<typeof nodeDns>();
  type Callback = (error: NodeJS.ErrnoException | null, found: { address: string; family: number }[]) => void;
  const lookup = (hostname: string, options: object, callback: Callback) => {
    const scripted = dns.answers.get(hostname);
    if (!scripted) return real.lookup(hostname, { ...options, all: true }, callback);
    dns.asked.push(hostname);
    const addresses = (scripted.length > 1 ? scripted.shift() : scripted[0]) ?? [];
    setImmediate(() =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
      ),
    );
  };
  return { ...real, lookup, default: { ...real, lookup } };
});

const live = { allowPrivate: false, httpsOnly: true };
const sandbox = { allowPrivate: true, httpsOnly: false };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  dns.answers.clear();
  dns.asked.length = 0;
  for (const close of closers.splice(0).reverse()) await close();
});

async function receiver() {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    received.push(String(req.headers["webhook-id"]));
    req.resume().on("end", () => res.end("ok"));
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

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The endpoint's latest delivery once it has an attempt. */
const attempted = (api: ReturnType<typeof jsonClient>, endpointId: string) =>
  waitFor(async () => {
    const list = await api.get(`/v1/webhook-endpoints/${endpointId}/deliveries`);
    const latest = list.body.data[0] as Json;
    return latest?.lastAttempt ? latest : undefined;
  });

describe("which addresses webhooks may reach", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared"],
    ["100.127.255.255", "shared"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:10.0.0.1", "private"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:c0a8:101::1", "private"],
  ])("refuses %s (%s)", (address, kind) => {
    expect(nonPublicAddressKind(address)).toBe(kind);
  });

  it.each(["8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])(
    "allows the public %s",
    (address) => expect(nonPublicAddressKind(address)).toBeNull(),
  );

  it("reads every spelling of an address in a URL, and the scheme", () => {
    for (const url of [
      "https://2130706433/",
      "https://0177.0.0.1/",
      "https://0x7f.1/",
      "https://127.1/",
      "https://[::ffff:127.0.0.1]/",
      "https://[0:0:0:0:0:ffff:a9fe:a9fe]/latest/meta-data",
      "https://localhost/",
      "https://LOCALHOST./",
      "https://api.localhost/",
    ]) {
      expect(webhookUrlRefusal(url, live), url).not.toBeNull();
      expect(webhookUrlRefusal(url, sandbox), url).toBeNull();
    }
    expect(webhookUrlRefusal("http://example.com/", live)).toMatch(/https/);
    expect(webhookUrlRefusal("https://example.com/", live)).toBeNull();
    for (const url of [
      "ftp://example.com/",
      "file:///etc/passwd",
      "gopher://127.0.0.1:6379/",
      "javascript:1",
    ]) {
      expect(webhookUrlRefusal(url, sandbox), url).toMatch(/http or https/);
    }
  });

  it("checks every address a host resolves to", async () => {
    dns.answers.set("mixed.rebind.test", [["93.184.216.34", "10.0.0.7"]]);
    dns.answers.set("public.rebind.test", [["93.184.216.34", "2606:2800:220:1::1"]]);
    expect(await resolvedUrlRefusal("https://mixed.rebind.test/", live)).toMatch(/10\.0\.0\.7 is a private/);
    expect(await resolvedUrlRefusal("https://public.rebind.test/", live)).toBeNull();
    expect(await resolvedUrlRefusal("https://mixed.rebind.test/", sandbox)).toBeNull();
  });
});

describe("registering an endpoint", () => {
  it("refuses live URLs that reach the server's own network with 422 webhook_url_not_allowed", async () => {
    const server = await startTestServer({ webhooks: { checkUrl: resolvedUrlRefusal } });
    closers.push(() => server.remove());
    const merchant = await server.admin.merchants.create({ name: "SSRF" });
    const liveApi = jsonClient(server.url, merchant.apiKeys.live);
    const testApi = jsonClient(server.url, merchant.apiKeys.test);
    dns.answers.set("internal.rebind.test", [["192.168.10.20"]]);
    for (const url of [
      "https://127.0.0.1/hooks",
      "https://[::1]/hooks",
      "https://169.254.169.254/latest/meta-data/",
      "https://10.0.0.5/",
      "https://100.64.1.1/",
      "https://[fd00::1]/",
      "https://[fe80::1]/",
      "https://[::ffff:192.168.0.1]/",
      "https://2130706433/",
      "https://localhost:4000/",
      "https://internal.rebind.test/hooks",
      "http://example.com/hooks",
    ]) {
      const refused = await liveApi.post("/v1/webhook-endpoints", { url, eventTypes: ["*"] });
      expect(refused.status, url).toBe(422);
      expect(refused.body.code, url).toBe("webhook_url_not_allowed");
      expect(refused.body.detail, url).not.toContain("BUFFMONEY_WEBHOOK_ALLOW_PRIVATE");
    }
    expect((await liveApi.get("/v1/webhook-endpoints")).body.data).toHaveLength(0);
    dns.answers.set("hooks.rebind.test", [["93.184.216.34"]]);
    const allowed = await liveApi.post("/v1/webhook-endpoints", {
      url: "https://hooks.rebind.test/",
      eventTypes: ["*"],
    });
    expect(allowed.status).toBe(201);
    // The sandbox keeps reaching localhost receivers.
    const local = await testApi.post("/v1/webhook-endpoints", {
      url: "http://127.0.0.1:9/",
      eventTypes: ["*"],
    });
    expect(local.status).toBe(201);
  });

  it("refuses the sandbox's private URLs too unless the server allows them: every merchant has a sandbox key", async () => {
    const server = await startTestServer({
      webhooks: { checkUrl: resolvedUrlRefusal, privateAddressesAllowed: defaultPrivateAddressesAllowed },
    });
    closers.push(() => server.remove());
    const merchant = await server.admin.merchants.create({ name: "Sandbox SSRF" });
    const testApi = jsonClient(server.url, merchant.apiKeys.test);
    for (const url of [
      "http://127.0.0.1:9/",
      "http://169.254.169.254/latest/meta-data/",
      "http://localhost/",
    ]) {
      const refused = await testApi.post("/v1/webhook-endpoints", { url, eventTypes: ["*"] });
      expect(refused.status, url).toBe(422);
      expect(refused.body.code, url).toBe("webhook_url_not_allowed");
      // A developer with a local receiver learns how a server for one developer allows it.
      expect(refused.body.detail, url).toContain("BUFFMONEY_WEBHOOK_ALLOW_PRIVATE=sandbox");
    }
    expect((await testApi.get("/v1/webhook-endpoints")).body.data).toHaveLength(0);
  });
});

describe("sending a delivery", () => {
  it("refuses a host that resolved publicly at registration and to loopback now, without sending", async () => {
    const server = await startTestServer({
      webhooks: { checkUrl: resolvedUrlRefusal, scheduleMs: [60_000], jitterRatio: 0 },
    });
    closers.push(() => server.remove());
    const merchant = await server.admin.merchants.create({ name: "Rebinding" });
    const api = jsonClient(server.url, merchant.apiKeys.live);
    dns.answers.set("rebind.rebind.test", [["93.184.216.34"], ["127.0.0.1"]]);
    const endpoint = await api.post("/v1/webhook-endpoints", {
      url: "https://rebind.rebind.test/hooks",
      eventTypes: ["customer.created"],
    });
    expect(endpoint.status).toBe(201);
    await api.post("/v1/customers", { externalId: "rebind-1" });
    const delivery = await attempted(api, endpoint.body.id);
    expect(delivery.lastAttempt).toMatchObject({ statusCode: null, error: "address_not_allowed" });
    expect(delivery.status).toBe("pending");
    expect(dns.asked).toEqual(["rebind.rebind.test", "rebind.rebind.test"]);
  });

  it("records refused URLs of endpoints registered before the policy changed, and sends nothing", async () => {
    const dir = await tempDir();
    closers.push(dir.remove);
    const local = await receiver();
    let server = await startTestServer({ dataDir: dir.path });
    const merchant = await server.admin.merchants.create({ name: "Policy change" });
    const api = () => jsonClient(server.url, merchant.apiKeys.test);
    const endpoint = await api().post("/v1/webhook-endpoints", {
      url: local.url,
      eventTypes: ["customer.created"],
    });
    await api().post("/v1/customers", { externalId: "allowed-1" });
    expect((await attempted(api(), endpoint.body.id)).status).toBe("succeeded");
    await server.stop();

    server = await startTestServer({
      dataDir: dir.path,
      webhooks: { privateAddressesAllowed: { test: false, live: false }, scheduleMs: [60_000] },
    });
    closers.push(() => server.stop());
    await api().post("/v1/customers", { externalId: "refused-1" });
    const refused = await waitFor(async () => {
      const list = await api().get(`/v1/webhook-endpoints/${endpoint.body.id}/deliveries`);
      return (list.body.data as Json[]).find((d) => d.lastAttempt?.error);
    });
    expect(refused.lastAttempt).toMatchObject({ statusCode: null, error: "url_not_allowed" });
    expect(local.received).toHaveLength(1);
  });

  it("connects only to the address it checked", async () => {
    const local = await receiver();
    const port = new URL(local.url).port;
    dns.answers.set("loopback.rebind.test", [["127.0.0.1"]]);
    const send = createWebhookSender();
    const request = {
      messageId: "msg_1",
      body: "{}",
      secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
      timeoutMs: 1_000,
    };
    const guarded = await send({ ...request, url: `http://loopback.rebind.test:${port}/`, policy: live });
    expect(guarded).toMatchObject({ statusCode: null, error: "url_not_allowed" });
    const refused = await send({
      ...request,
      url: `http://loopback.rebind.test:${port}/`,
      policy: { allowPrivate: false, httpsOnly: false },
    });
    expect(refused).toMatchObject({ statusCode: null, error: "address_not_allowed" });
    const literal = await send({
      ...request,
      url: local.url,
      policy: { allowPrivate: false, httpsOnly: false },
    });
    expect(literal).toMatchObject({ statusCode: null, error: "url_not_allowed" });
    expect(local.received).toHaveLength(0);
    expect(await send({ ...request, url: local.url, policy: sandbox })).toMatchObject({ statusCode: 200 });
    expect(local.received).toEqual(["msg_1"]);
  });
});
