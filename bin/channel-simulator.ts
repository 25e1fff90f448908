/**
 * Runs a payment channel simulator standalone.
 *
 *   node --import tsx bin/channel-simulator.ts --channel wechatpay --port 8701 --keys-dir .sandbox/wechatpay --init
 *
 * `--init` writes a fresh sandbox key set into --keys-dir when it holds none (an existing set is reused).
 * Keys are sandbox-only; the merchant side reads the same directory.
 */
import { access } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  createAlipaySimulator,
  createWechatPaySimulator,
  generateAlipaySandboxKeys,
  generateWechatPaySandboxKeys,
  readAlipaySandboxKeys,
  readWechatPaySandboxKeys,
  writeAlipaySandboxKeys,
  writeWechatPaySandboxKeys,
} from "../channels/index.js";

const usage = `usage: channel-simulator --channel wechatpay|alipay --keys-dir DIR [--port N] [--host H] [--init]
       [--retry-scale X] [--mount-path /prefix] [--public-base-url URL]`;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      channel: { type: "string" },
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      "keys-dir": { type: "string" },
      init: { type: "boolean", default: false },
      "retry-scale": { type: "string", default: "1" },
      "mount-path": { type: "string", default: "" },
      "public-base-url": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  const channel = values.channel;
  const keysDir = values["keys-dir"];
  const port = Number(values.port);
  const retryScale = Number(values["retry-scale"]);
  if (values.help || (channel !== "wechatpay" && channel !== "alipay") || !keysDir) {
    console.error(usage);
    process.exit(values.help ? 0 : 2);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535 || !(retryScale > 0)) {
    console.error(`bad --port or --retry-scale\n${usage}`);
    process.exit(2);
  }
  const common = {
    retryScale,
    mountPath: values["mount-path"],
    ...(values["public-base-url"] ? { publicBaseUrl: values["public-base-url"] } : {}),
  };

  let simulator: { listener: Parameters<typeof createServer>[1]; close(): Promise<void> };
  let ids: Record<string, string>;
  if (channel === "wechatpay") {
    if (values.init && !(await exists(join(keysDir, "wechatpay.json")))) {
      await writeWechatPaySandboxKeys(keysDir, generateWechatPaySandboxKeys());
    }
    const keys = await readWechatPaySandboxKeys(keysDir);
    simulator = createWechatPaySimulator({ keys, ...common });
    ids = {
      mchid: keys.mchid,
      appid: keys.appid,
      merchantSerial: keys.merchantSerial,
      platformSerial: keys.platformSerial,
    };
  } else {
    if (values.init && !(await exists(join(keysDir, "alipay.json")))) {
      await writeAlipaySandboxKeys(keysDir, generateAlipaySandboxKeys());
    }
    const keys = await readAlipaySandboxKeys(keysDir);
    simulator = createAlipaySimulator({ keys, ...common });
    ids = { appId: keys.appId, sellerId: keys.sellerId };
  }

  const server = createServer(simulator.listener);
  server.listen(port, values.host, () => {
    const address = server.address();
    const bound = typeof address === "object" && address ? address.port : port;
    const base = `http://${values.host}:${bound}${values["mount-path"]}`;
    const endpoint = channel === "wechatpay" ? { baseUrl: base } : { gateway: `${base}/gateway.do` };
    console.log(JSON.stringify({ channel, listening: base, ...endpoint, control: `${base}/__sim`, ...ids }));
  });

  const stop = async () => {
    await simulator.close();
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
