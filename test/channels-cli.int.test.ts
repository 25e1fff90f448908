import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import {
  AlipayChannel,
  generateWechatPaySandboxKeys,
  readAlipaySandboxKeys,
  WechatPayChannel,
  writeWechatPaySandboxKeys,
} from "../channels/index.js";

const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "channels-cli-"));
  dirs.push(dir);
  return dir;
}

/** Starts the command; resolves with its first stdout line (the JSON banner). */
async function start(args: string[]): Promise<{ child: ChildProcess; banner: Record<string, string> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/channel-simulator.ts", ...args], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
  });
  return { child, banner: JSON.parse(first) as Record<string, string> };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  return exited;
}

describe.concurrent("bin/channel-simulator", () => {
  it("--init writes an Alipay sandbox key set and serves it; SIGTERM stops it cleanly", async () => {
    const dir = await tempDir();
    const { child, banner } = await start([
      "--channel",
      "alipay",
      "--port",
      "0",
      "--keys-dir",
      dir,
      "--init",
    ]);
    try {
      const keys = await readAlipaySandboxKeys(dir);
      expect(banner).toMatchObject({ channel: "alipay", appId: keys.appId, sellerId: keys.sellerId });
      const adapter = new AlipayChannel({
        gateway: banner.gateway ?? "",
        appId: keys.appId,
        appPrivateKey: keys.appPrivateKeyPem,
        alipayPublicKey: keys.alipayPublicKeyPem,
      });
      const created = await adapter.createOrder({
        channel: "alipay_qr",
        outTradeNo: `CLI${Date.now()}`,
        amountFen: 1n,
        description: "cli",
        expiresAt: new Date(Date.now() + 600_000),
        notifyUrl: "http://127.0.0.1:9/notify",
      });
      expect(created.action.type).toBe("qr_code");
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it("--init keeps an existing WeChat Pay key set and serves it", async () => {
    const dir = await tempDir();
    const keys = generateWechatPaySandboxKeys();
    await writeWechatPaySandboxKeys(dir, keys);
    const { child, banner } = await start([
      "--channel",
      "wechatpay",
      "--keys-dir",
      dir,
      "--init",
      "--retry-scale",
      "0.01",
    ]);
    try {
      expect(banner).toMatchObject({ mchid: keys.mchid, platformSerial: keys.platformSerial });
      const adapter = new WechatPayChannel({
        baseUrl: banner.baseUrl ?? "",
        mchid: keys.mchid,
        appid: keys.appid,
        merchantSerial: keys.merchantSerial,
        merchantPrivateKey: keys.merchantPrivateKeyPem,
        apiV3Key: keys.apiV3Key,
        platformCertificates: [keys.platformCertificatePem],
      });
      expect(await adapter.queryOrder({ outTradeNo: "NOT_THERE" })).toMatchObject({ status: "not_found" });
      expect(await (await fetch(`${banner.control}/health`)).json()).toMatchObject({
        ok: true,
        channel: "wechatpay",
      });
    } finally {
      await stop(child);
    }
  });
});
