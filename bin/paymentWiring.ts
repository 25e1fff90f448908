/**
 * Wires `channels/` to the runtime's PaymentGateway port: sandbox merchants collect through the
 * in-process simulators (mounted on the server under /sandbox/wechatpay and /sandbox/alipay, keys
 * generated once into `<dataDir>/sandbox-keys/`), live merchants through the real endpoints with the
 * platform's channel accounts from configuration (see README, "Configuration").
 */
import { access } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type Koa from "koa";
import {
  GatewayError,
  type CallbackHeaders,
  type GatewayCallback,
  type GatewayOrderInput,
  type GatewayRefundStatus,
  type PaymentGateway,
  type SimulationInput,
} from "../actors/index.js";
import {
  alipay,
  ChannelError,
  createAlipaySimulator,
  createPaymentChannels,
  createWechatPaySimulator,
  generateAlipaySandboxKeys,
  generateWechatPaySandboxKeys,
  mountSimulator,
  readAlipaySandboxKeys,
  readWechatPaySandboxKeys,
  wechatpay,
  writeAlipaySandboxKeys,
  writeWechatPaySandboxKeys,
  type AlipayChannelConfig,
  type AlipaySandboxKeys,
  type CallbackResult,
  type ChannelProvider,
  type CreateOrderInput,
  type PaymentChannels,
  type RefundSnapshot,
  type WechatPayChannelConfig,
  type WechatPaySandboxKeys,
  type WechatPaySimulator,
  type AlipaySimulator,
} from "../channels/index.js";
import type { Environment } from "../domain/environment.js";

export interface LiveChannelConfig {
  wechatpay?: WechatPayChannelConfig;
  alipay?: AlipayChannelConfig;
}

export interface CollectionWiringOptions {
  dataDir: string;
  /** The server's public base URL, known once it listens: notify URLs and simulator URLs derive from it. */
  publicUrl: () => string;
  /** Multiplies the simulators' callback retry intervals (0.001: WeChat's 15 s become 15 ms). */
  retryScale?: number;
  live?: LiveChannelConfig;
}

export interface CollectionWiring {
  gateway: PaymentGateway;
  /**
   * Mounts the sandbox simulators on the server (before its body parser); their operator routes
   * take the admin token (`isAdmin`).
   */
  mount: (app: Koa, isAdmin: (ctx: Koa.Context) => boolean) => void;
  sandboxKeys: { wechatpay: WechatPaySandboxKeys; alipay: AlipaySandboxKeys };
  /** The sandbox simulators (tests wait on their callback deliveries). */
  simulators: { wechatpay: WechatPaySimulator; alipay: AlipaySimulator };
  close(): Promise<void>;
}

const sandboxMounts = { wechatpay: "/sandbox/wechatpay", alipay: "/sandbox/alipay" } as const;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The sandbox key sets, generated on first start and reused after (sandbox only: never real keys). */
export async function sandboxKeysIn(dataDir: string) {
  const dir = join(dataDir, "sandbox-keys");
  if (!(await exists(join(dir, "wechatpay.json"))))
    await writeWechatPaySandboxKeys(dir, generateWechatPaySandboxKeys());
  if (!(await exists(join(dir, "alipay.json"))))
    await writeAlipaySandboxKeys(dir, generateAlipaySandboxKeys());
  return { wechatpay: await readWechatPaySandboxKeys(dir), alipay: await readAlipaySandboxKeys(dir) };
}

export async function createCollectionWiring(options: CollectionWiringOptions): Promise<CollectionWiring> {
  const keys = await sandboxKeysIn(options.dataDir);
  const retryScale = options.retryScale ?? 1;
  const wechatSim = createWechatPaySimulator({
    keys: keys.wechatpay,
    mountPath: sandboxMounts.wechatpay,
    retryScale,
  });
  const alipaySim = createAlipaySimulator({ keys: keys.alipay, mountPath: sandboxMounts.alipay, retryScale });
  const live =
    options.live && (options.live.wechatpay || options.live.alipay)
      ? createPaymentChannels(options.live)
      : null;

  let sandbox: { url: string; channels: PaymentChannels } | null = null;
  const sandboxChannels = (): PaymentChannels => {
    const url = options.publicUrl();
    if (sandbox?.url !== url) {
      sandbox = {
        url,
        channels: createPaymentChannels({
          wechatpay: {
            baseUrl: `${url}${sandboxMounts.wechatpay}`,
            mchid: keys.wechatpay.mchid,
            appid: keys.wechatpay.appid,
            merchantSerial: keys.wechatpay.merchantSerial,
            merchantPrivateKey: keys.wechatpay.merchantPrivateKeyPem,
            apiV3Key: keys.wechatpay.apiV3Key,
            platformCertificates: [keys.wechatpay.platformCertificatePem],
          },
          alipay: {
            gateway: `${url}${sandboxMounts.alipay}/gateway.do`,
            appId: keys.alipay.appId,
            appPrivateKey: keys.alipay.appPrivateKeyPem,
            alipayPublicKey: keys.alipay.alipayPublicKeyPem,
            sellerId: keys.alipay.sellerId,
          },
        }),
      };
    }
    return sandbox.channels;
  };
  const channelsOf = (env: Environment): PaymentChannels => {
    if (env === "test") return sandboxChannels();
    if (!live) throw new GatewayError("not_configured", "no live channel account is configured", false);
    return live;
  };

  /** Which environment's keys should verify a callback; the chosen adapter then verifies it for real. */
  const callbackEnv = (
    provider: ChannelProvider,
    headers: CallbackHeaders,
    rawBody: Uint8Array,
  ): Environment => {
    const liveHas = live?.configured().includes(provider) ?? false;
    if (!liveHas) return "test";
    if (provider === "wechatpay") {
      const serial = headers["wechatpay-serial"];
      const sandboxSerials = [keys.wechatpay.platformSerial, wechatSim.currentSerial()];
      return typeof serial === "string" && sandboxSerials.includes(serial) ? "test" : "live";
    }
    const appId = new URLSearchParams(Buffer.from(rawBody).toString("utf8")).get("app_id");
    return appId === keys.alipay.appId ? "test" : "live";
  };

  const gateway: PaymentGateway = {
    supports: (env, provider) => env === "test" || (live?.configured().includes(provider) ?? false),
    checkOrder: (input) => {
      const order = orderInput(input, notifyUrl(options.publicUrl(), input.channel));
      const limits = input.env === "live" ? liveLimits(options.live, input.channel) : {};
      return input.channel.startsWith("wechat_")
        ? wechatpay.checkWechatOrder(order, Date.now(), limits)
        : alipay.checkAlipayOrder(order, Date.now(), limits);
    },
    createOrder: (input) =>
      guarded(async () => {
        const order = orderInput(input, notifyUrl(options.publicUrl(), input.channel));
        const { action } = await channelsOf(input.env).createOrder(order);
        return {
          action: action.type === "jsapi" ? { ...action, payParams: { ...action.payParams } } : action,
        };
      }),
    queryOrder: (env, provider, outTradeNo) =>
      guarded(async () => {
        const found = await channelsOf(env).provider(provider).queryOrder({ outTradeNo });
        return {
          status: found.status,
          channelState: found.channelState,
          ...(found.transactionId !== undefined ? { transactionId: found.transactionId } : {}),
          ...(found.amountFen !== undefined ? { amountFen: found.amountFen } : {}),
          ...(found.paidAt !== undefined ? { paidAt: found.paidAt } : {}),
          ...(found.payerId !== undefined ? { payerId: found.payerId } : {}),
        };
      }),
    closeOrder: (env, provider, outTradeNo) =>
      guarded(async () => (await channelsOf(env).provider(provider).closeOrder({ outTradeNo })).outcome),
    refund: (input) =>
      guarded(async () => {
        const snapshot = await channelsOf(input.env)
          .provider(input.provider)
          .refund({
            outTradeNo: input.outTradeNo,
            outRefundNo: input.outRefundNo,
            refundFen: input.refundFen,
            totalFen: input.totalFen,
            ...(input.reason !== undefined ? { reason: input.reason } : {}),
            notifyUrl: `${options.publicUrl()}/v1/channels/${input.provider}/notify`,
          });
        return refundStatus(snapshot);
      }),
    queryRefund: (env, provider, ids) =>
      guarded(async () => refundStatus(await channelsOf(env).provider(provider).queryRefund(ids))),
    parseCallback: async (provider, headers, rawBody) => {
      const env = callbackEnv(provider, headers, rawBody);
      return callbackOf(env, await channelsOf(env).provider(provider).parseCallback(headers, rawBody));
    },
    simulate: (input) => guarded(() => simulate(options.publicUrl(), input)),
  };

  return {
    gateway,
    mount(app, isAdmin) {
      app.use(mountSimulator(sandboxMounts.wechatpay, wechatSim.listener, { authorizeOperator: isAdmin }));
      app.use(mountSimulator(sandboxMounts.alipay, alipaySim.listener, { authorizeOperator: isAdmin }));
    },
    sandboxKeys: keys,
    simulators: { wechatpay: wechatSim, alipay: alipaySim },
    async close() {
      await Promise.all([wechatSim.close(), alipaySim.close()]);
    },
  };
}

function notifyUrl(publicUrl: string, channel: string): string {
  return `${publicUrl}/v1/channels/${channel.startsWith("wechat_") ? "wechatpay" : "alipay"}/notify`;
}

function orderInput(input: GatewayOrderInput, notify: string): CreateOrderInput {
  const { env: _env, ...order } = input;
  return { ...order, notifyUrl: notify };
}

function liveLimits(live: LiveChannelConfig | undefined, channel: string): { amountFenMax?: bigint } {
  const max = channel.startsWith("wechat_") ? live?.wechatpay?.amountFenMax : live?.alipay?.amountFenMax;
  return max === undefined ? {} : { amountFenMax: max };
}

function refundStatus(snapshot: RefundSnapshot): GatewayRefundStatus {
  return {
    status: snapshot.status,
    channelState: snapshot.channelState,
    ...(snapshot.refundFen !== undefined ? { refundFen: snapshot.refundFen } : {}),
  };
}

function callbackOf(env: Environment, result: CallbackResult): GatewayCallback {
  if (!result.accepted)
    return { accepted: false, rejection: result.rejection, detail: result.detail, ack: result.ack };
  const n = result.notification;
  const common = { accepted: true as const, env, eventId: n.eventId, ack: result.ack, nack: result.nack };
  switch (n.type) {
    case "payment_succeeded":
      return {
        ...common,
        notification: {
          type: n.type,
          outTradeNo: n.outTradeNo,
          transactionId: n.transactionId,
          amountFen: n.amountFen,
          currency: n.currency,
          paidAt: n.paidAt,
          ...(n.payerId !== undefined ? { payerId: n.payerId } : {}),
        },
      };
    case "refund_succeeded":
      return {
        ...common,
        notification: {
          type: n.type,
          outTradeNo: n.outTradeNo,
          transactionId: n.transactionId,
          outRefundNo: n.outRefundNo,
          ...(n.refundFen !== undefined ? { refundFen: n.refundFen } : {}),
          ...(n.refundedTotalFen !== undefined ? { refundedTotalFen: n.refundedTotalFen } : {}),
        },
      };
    case "refund_failed":
      return {
        ...common,
        notification: {
          type: n.type,
          outTradeNo: n.outTradeNo,
          outRefundNo: n.outRefundNo,
          refundFen: n.refundFen,
          channelState: n.channelState,
        },
      };
    case "refund_processing":
      return {
        ...common,
        notification: {
          type: n.type,
          outTradeNo: n.outTradeNo,
          outRefundNo: n.outRefundNo,
          channelState: n.channelState,
        },
      };
    case "payment_closed":
      return { ...common, notification: { type: n.type, outTradeNo: n.outTradeNo } };
  }
}

/** Channel errors in the runtime's terms; anything else (a network failure) may be retried. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    if (error instanceof ChannelError) {
      if (error.code === "invalid_order" || error.code === "amount_limit_exceeded") {
        throw new GatewayError("invalid_order", error.message, false, {
          ...error.details,
          channelCode: error.channelCode,
        });
      }
      throw new GatewayError(
        error.retryable ? "unavailable" : "rejected",
        `${error.code}: ${error.message}`,
        error.retryable,
        {
          channelCode: error.channelCode,
        },
      );
    }
    throw new GatewayError("unavailable", error instanceof Error ? error.message : String(error), true);
  }
}

/** Acts as the buyer through the simulator's control API, as a paying customer's phone would. */
async function simulate(publicUrl: string, input: SimulationInput): Promise<void> {
  const provider = input.channel.startsWith("wechat_") ? "wechatpay" : "alipay";
  const control = `${publicUrl}${sandboxMounts[provider]}/__sim/orders/${encodeURIComponent(input.outTradeNo)}`;
  if (input.action.type === "alipay_form") {
    // The buyer's browser reaches Alipay's cashier: only then does a page/wap trade exist.
    const cashier = await fetch(input.action.url);
    await cashier.arrayBuffer();
    if (!cashier.ok) throw new GatewayError("rejected", `the cashier refused: HTTP ${cashier.status}`, false);
  }
  const body =
    input.outcome === "failed"
      ? provider === "wechatpay"
        ? { state: "PAYERROR" }
        : {}
      : input.outcome === "succeeded" && input.action.type === "jsapi"
        ? { jsapi: input.action.payParams }
        : {};
  const step = input.outcome === "succeeded" ? "pay" : input.outcome === "failed" ? "fail" : "expire";
  const response = await fetch(`${control}/${step}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new GatewayError("rejected", `simulator ${step}: HTTP ${response.status} ${text}`, false);
}

/**
 * Live channel accounts from the environment. WeChat Pay: BUFFMONEY_WECHATPAY_MCHID, _APPID,
 * _MERCHANT_SERIAL, _MERCHANT_KEY_FILE, _APIV3_KEY, _PLATFORM_CERT_FILE (optional _BASE_URL,
 * _AMOUNT_FEN_MAX). Alipay: BUFFMONEY_ALIPAY_APP_ID, _APP_KEY_FILE, _PUBLIC_KEY_FILE, _SELLER_ID
 * (optional _GATEWAY, _AMOUNT_FEN_MAX). A provider is live only when all its required values are set;
 * some but not all stop the start.
 */
export function liveChannelsFromEnv(env: NodeJS.ProcessEnv): LiveChannelConfig {
  const read = (file: string | undefined) => (file ? readFileSync(file, "utf8") : undefined);
  const config: LiveChannelConfig = {};
  const w = (name: string) => env[`BUFFMONEY_WECHATPAY_${name}`] || undefined;
  const a = (name: string) => env[`BUFFMONEY_ALIPAY_${name}`] || undefined;
  const wechatRequired = [
    "MCHID",
    "APPID",
    "MERCHANT_SERIAL",
    "APIV3_KEY",
    "MERCHANT_KEY_FILE",
    "PLATFORM_CERT_FILE",
  ];
  if (complete("BUFFMONEY_WECHATPAY_", wechatRequired, w)) {
    const [max, baseUrl] = [w("AMOUNT_FEN_MAX"), w("BASE_URL")];
    config.wechatpay = {
      mchid: w("MCHID") as string,
      appid: w("APPID") as string,
      merchantSerial: w("MERCHANT_SERIAL") as string,
      merchantPrivateKey: read(w("MERCHANT_KEY_FILE")) as string,
      apiV3Key: w("APIV3_KEY") as string,
      platformCertificates: [read(w("PLATFORM_CERT_FILE")) as string],
      ...(baseUrl ? { baseUrl } : {}),
      ...(max ? { amountFenMax: fenMax("BUFFMONEY_WECHATPAY_AMOUNT_FEN_MAX", max) } : {}),
    };
  }
  if (complete("BUFFMONEY_ALIPAY_", ["APP_ID", "APP_KEY_FILE", "PUBLIC_KEY_FILE", "SELLER_ID"], a)) {
    const [max, gateway] = [a("AMOUNT_FEN_MAX"), a("GATEWAY")];
    config.alipay = {
      appId: a("APP_ID") as string,
      appPrivateKey: read(a("APP_KEY_FILE")) as string,
      alipayPublicKey: read(a("PUBLIC_KEY_FILE")) as string,
      sellerId: a("SELLER_ID") as string,
      ...(gateway ? { gateway } : {}),
      ...(max ? { amountFenMax: fenMax("BUFFMONEY_ALIPAY_AMOUNT_FEN_MAX", max) } : {}),
    };
  }
  return config;
}

/**
 * Whether a provider's required settings are all set; none set is false. Some but not all is an
 * error: a live channel the operator believes configured must not be silently left out.
 */
function complete(prefix: string, required: string[], get: (name: string) => string | undefined): boolean {
  const missing = required.filter((name) => get(name) === undefined);
  if (missing.length === required.length) return false;
  if (missing.length > 0)
    throw new Error(`${prefix}* is set in part: also set ${missing.map((name) => prefix + name).join(", ")}`);
  return true;
}

/** A channel's per-payment maximum in fen: a whole number. */
function fenMax(name: string, value: string): bigint {
  if (!/^[1-9]\d{0,14}$/.test(value)) throw new Error(`${name} is "${value}": use a whole number of fen`);
  return BigInt(value);
}
