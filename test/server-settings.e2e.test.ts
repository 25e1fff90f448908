import { readdir } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { killChildServers, startChildServer } from "./support/childServer.js";
import { tempDir } from "./support/tempDir.js";

const adminToken = "bm_admin_server_settings_0123456789";

describe("the server's resident-wallet bound", () => {
  afterAll(killChildServers);

  it("refuses to start when it is not a whole number of wallets, naming the setting", async () => {
    const dir = await tempDir("buffmoney-resident-");
    try {
      for (const setting of ["abc", "0", "2.5"]) {
        await expect(
          startChildServer({
            dataDir: dir.path,
            adminToken,
            env: { BUFFMONEY_RESIDENT_WALLETS_MAX: setting },
          }),
        ).rejects.toThrow(`BUFFMONEY_RESIDENT_WALLETS_MAX is "${setting}"`);
      }
      // Refused before anything was written.
      expect(await readdir(dir.path)).toEqual([]);
    } finally {
      await dir.remove();
    }
  });
});

describe("the port and the admin token", () => {
  afterAll(killChildServers);

  it("refuses a bad PORT, a weak admin token and other bad settings before touching the data directory, naming each", async () => {
    const dir = await tempDir("buffmoney-port-");
    try {
      for (const port of ["abc", "99999", "4000.5"]) {
        await expect(
          startChildServer({ dataDir: dir.path, adminToken, env: { PORT: port } }),
        ).rejects.toThrow(`PORT is "${port}"`);
      }
      await expect(startChildServer({ dataDir: dir.path, adminToken: "short" })).rejects.toThrow(
        "BUFFMONEY_ADMIN_TOKEN is too weak",
      );
      const refusals: Array<[Record<string, string>, string]> = [
        [{ LOG_LEVEL: "loud" }, 'LOG_LEVEL is "loud"'],
        [{ SMTP_URL: "mail.example.com" }, "SMTP_URL is not an smtp:// or smtps:// URL"],
        [{ BUFFMONEY_WECHATPAY_MCHID: "1900000109" }, "BUFFMONEY_WECHATPAY_* is set in part: also set"],
      ];
      for (const [env, message] of refusals)
        await expect(startChildServer({ dataDir: dir.path, adminToken, env })).rejects.toThrow(message);
      // Refused before anything was written.
      expect(await readdir(dir.path)).toEqual([]);
    } finally {
      await dir.remove();
    }
  });
});

describe("a data directory another server has open", () => {
  afterAll(killChildServers);

  it("refuses to start, saying the directory is in use, and leaves the running server serving", async () => {
    const dir = await tempDir("buffmoney-locked-");
    try {
      const first = await startChildServer({ dataDir: dir.path, adminToken });
      await expect(startChildServer({ dataDir: dir.path, adminToken })).rejects.toThrow(
        `the data directory ${dir.path} is in use by another process`,
      );
      expect((await fetch(`${first.url}/health`)).status).toBe(200);
    } finally {
      await killChildServers();
      await dir.remove();
    }
  });
});

describe("the generated admin token", () => {
  afterAll(killChildServers);

  it("is printed on the first start only; later starts say where it went and how to replace it", async () => {
    const dir = await tempDir("buffmoney-admin-token-");
    try {
      const first = await startChildServer({ dataDir: dir.path, adminToken: "" });
      const printed = /admin token \(shown once[^:]*\): (\S+)/.exec(first.output())?.[1];
      expect(printed).toMatch(/^bm_admin_/);
      expect(await first.stop()).toBe(0);

      const second = await startChildServer({ dataDir: dir.path, adminToken: "" });
      expect(second.output()).not.toContain(printed);
      expect(second.output()).toContain("set BUFFMONEY_ADMIN_TOKEN to replace it");
      const created = await fetch(`${second.url}/v1/admin/merchants`, {
        method: "POST",
        headers: { Authorization: `Bearer ${printed}`, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Still the same token" }),
      });
      expect(created.status).toBe(201);
      expect(await second.stop()).toBe(0);
    } finally {
      await dir.remove();
    }
  });
});
