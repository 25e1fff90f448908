import BuffMoneyClient, { BuffMoneyAdminClient } from "@buffmoney/sdk";
import { mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatMicros } from "../domain/money.js";
import { expectAuditClean } from "./support/auditClean.js";
import { killChildServers, startChildServer } from "./support/childServer.js";
import { tempDir } from "./support/tempDir.js";
import { cli } from "./support/cli.js";

const adminToken = "bm_admin_backup_0123456789abcdef";
const customers = ["bk0", "bk1", "bk2", "bk3"];

describe("buffmoney backup", () => {
  afterAll(killChildServers);

  it("copies a ledger under load as one consistent prefix that a server starts from", async () => {
    const dir = await tempDir("buffmoney-backup-");
    const data = join(dir.path, "data");
    const out = join(dir.path, "backup");
    try {
      const live = await startChildServer({ dataDir: data, adminToken });
      const admin = new BuffMoneyAdminClient({ adminToken, baseUrl: live.url });
      const { apiKeys } = await admin.merchants.create({ name: "Backed up" });
      const client = new BuffMoneyClient({ apiKey: apiKeys.test, baseUrl: live.url });
      // Its signing secret is kept sealed with the data directory's secret key, which the backup carries.
      const endpoint = await client.webhookEndpoints.create({
        url: "http://127.0.0.1:9/hooks",
        eventTypes: ["customer.created"],
      });
      for (const externalId of customers) {
        await client.customers.create({ externalId });
        await client.wallets.grant(externalId, { amount: "100.00", reason: "backup test" });
      }

      // Debits keep landing while the backup is taken; each answer says at which sequence.
      const debits: Array<{ externalId: string; sequence: number }> = [];
      let loading = true;
      const load = Promise.all(
        customers.map(async (externalId) => {
          while (loading) {
            const { transaction } = await client.wallets.debit(externalId, { amount: "0.01" });
            debits.push({ externalId, sequence: transaction.sequence });
          }
        }),
      );
      while (debits.length < 200) await new Promise((resolve) => setTimeout(resolve, 10));
      const backup = await cli(["backup", "--data-dir", data, "--out", out, "--json"]);
      const during = debits.length;
      while (debits.length < during + 200) await new Promise((resolve) => setTimeout(resolve, 10));
      loading = false;
      await load;
      await live.stop();

      expect(backup.stderr).toBe("");
      expect(backup.code).toBe(0);
      const report = JSON.parse(backup.stdout) as { headSeq: number; findings: unknown[] };
      expect(report.findings).toEqual([]);
      // Some debits landed after the copy was taken: the backup is a prefix, not the whole ledger.
      const head = report.headSeq;
      expect(debits.some((d) => d.sequence > head)).toBe(true);
      expect((await stat(join(out, "secret.key"))).mode & 0o777).toBe(0o600);

      // Restored: a server starts on the backup, with each wallet exactly as of the backup's head.
      const restored = await startChildServer({ dataDir: out, adminToken });
      expect(restored.output()).toMatch(new RegExp(`ledger at ${out}: ${head} records verified`));
      const reader = new BuffMoneyClient({ apiKey: apiKeys.test, baseUrl: restored.url });
      for (const externalId of customers) {
        const before = debits.filter((d) => d.externalId === externalId && d.sequence <= head).length;
        const wallet = await reader.wallets.retrieve(externalId);
        expect(wallet.balance).toBe(formatMicros(100_000_000n - BigInt(before) * 10_000n));
      }
      expect((await reader.webhookEndpoints.retrieve(endpoint.id)).url).toBe(endpoint.url);
      // It takes writes again, after the backup's head.
      const { transaction } = await reader.wallets.debit("bk0", { amount: "0.01" });
      expect(transaction.sequence).toBe(head + 1);
      await restored.stop();
      await expectAuditClean(out);
    } finally {
      await killChildServers();
      await dir.remove();
    }
  }, 120_000);

  it("refuses a target that exists or lies inside the data directory, writing nothing", async () => {
    const dir = await tempDir("buffmoney-backup-refused-");
    try {
      const refused = await cli(["backup", "--data-dir", dir.path, "--out", join(dir.path, "inner")]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/must not contain each other/);
      await mkdir(join(dir.path, "taken"));
      const exists = await cli([
        "backup",
        "--data-dir",
        join(dir.path, "data"),
        "--out",
        join(dir.path, "taken"),
      ]);
      expect(exists.code).toBe(2);
      expect(exists.stderr).toMatch(/already exists/);
      expect((await readdir(dir.path)).sort()).toEqual(["taken"]);
      expect(await readdir(join(dir.path, "taken"))).toEqual([]);
    } finally {
      await dir.remove();
    }
  });
});
