import { createHash } from "node:crypto";
import { ChannelError } from "../errors.js";
import { fenToJsonInteger } from "../money.js";
import { createMemoryNonceStore, type NonceStore } from "../nonceStore.js";
import { formatRfc3339Beijing, parseRfc3339 } from "../time.js";
import type {
  CallbackHeaders,
  CallbackResult,
  ChannelKind,
  CloseOutcome,
  CreatedOrder,
  CreateOrderInput,
  OrderSnapshot,
  OrderStatus,
  PaymentChannel,
  RefundInput,
  RefundSnapshot,
  RefundStatus,
  TradeBill,
} from "../types.js";
import { parseWechatTradeBill, wechatBillRows } from "./bill.js";
import { WechatPayClient, type WechatPayClientConfig } from "./client.js";
import { buildJsapiPayParams } from "./jsapi.js";
import { parseWechatPayCallback } from "./notification.js";
import { checkWechatOrder, checkWechatRefund, type WechatOrderLimits } from "./orderRules.js";
import type { Refund, Transaction } from "./schemas.js";

export interface WechatPayChannelConfig extends WechatPayClientConfig, WechatOrderLimits {
  nonceStore?: NonceStore;
  /** `scene_info.h5_info` for H5 orders. */
  h5Info?: { type: "Wap" | "iOS" | "Android"; app_name?: string; app_url?: string };
}

const statusByTradeState: Record<Transaction["trade_state"], OrderStatus> = {
  NOTPAY: "pending",
  USERPAYING: "pending",
  SUCCESS: "paid",
  REFUND: "paid",
  CLOSED: "closed",
  REVOKED: "closed",
  PAYERROR: "failed",
};

const statusByRefundState: Record<Refund["status"], RefundStatus> = {
  PROCESSING: "processing",
  SUCCESS: "succeeded",
  CLOSED: "failed",
  // Not final: the merchant may re-submit it to another account at WeChat Pay, and then it succeeds.
  ABNORMAL: "processing",
};

export class WechatPayChannel implements PaymentChannel {
  readonly provider = "wechatpay" as const;
  readonly kinds: readonly ChannelKind[] = ["wechat_native", "wechat_jsapi", "wechat_h5"];
  readonly client: WechatPayClient;
  readonly #nonces: NonceStore;
  readonly #limits: WechatOrderLimits;
  readonly #h5Info: NonNullable<WechatPayChannelConfig["h5Info"]>;

  constructor(config: WechatPayChannelConfig) {
    this.client = new WechatPayClient(config);
    this.#nonces = config.nonceStore ?? createMemoryNonceStore();
    this.#limits = config.amountFenMax === undefined ? {} : { amountFenMax: config.amountFenMax };
    this.#h5Info = config.h5Info ?? { type: "Wap" };
  }

  async createOrder(input: CreateOrderInput): Promise<CreatedOrder> {
    if (!this.kinds.includes(input.channel))
      throw new RangeError(`not a WeChat Pay channel: ${input.channel}`);
    const violations = checkWechatOrder(input, this.client.now(), this.#limits);
    if (violations.length > 0) {
      throw new ChannelError(
        "invalid_order",
        this.provider,
        "order breaks WeChat Pay limits",
        undefined,
        undefined,
        {
          violations,
        },
      );
    }
    const body: Record<string, unknown> = {
      appid: this.client.appid,
      mchid: this.client.mchid,
      description: input.description,
      out_trade_no: input.outTradeNo,
      time_expire: formatRfc3339Beijing(input.expiresAt.getTime()),
      notify_url: input.notifyUrl,
      amount: { total: fenToJsonInteger(input.amountFen), currency: "CNY" },
      ...(input.attach !== undefined ? { attach: input.attach } : {}),
    };
    const created = { channel: input.channel, outTradeNo: input.outTradeNo, expiresAt: input.expiresAt };
    if (input.channel === "wechat_jsapi") {
      body.payer = { openid: input.payerOpenId };
      const { prepay_id } = await this.client.createJsapiOrder(body);
      const payParams = buildJsapiPayParams(this.client.appid, prepay_id, this.client.now(), (m) =>
        this.client.sign(m),
      );
      return { ...created, action: { type: "jsapi", prepayId: prepay_id, payParams } };
    }
    if (input.channel === "wechat_h5") {
      body.scene_info = { payer_client_ip: input.clientIp, h5_info: this.#h5Info };
      const { h5_url } = await this.client.createH5Order(body);
      return { ...created, action: { type: "redirect", url: h5_url } };
    }
    if (input.clientIp) body.scene_info = { payer_client_ip: input.clientIp };
    const { code_url } = await this.client.createNativeOrder(body);
    return { ...created, action: { type: "qr_code", codeUrl: code_url } };
  }

  async queryOrder({ outTradeNo }: { outTradeNo: string }): Promise<OrderSnapshot> {
    let t: Transaction;
    try {
      t = await this.client.queryByOutTradeNo(outTradeNo);
    } catch (error) {
      if (error instanceof ChannelError && error.code === "order_not_found") {
        return { provider: this.provider, outTradeNo, status: "not_found", channelState: "ORDER_NOT_EXIST" };
      }
      throw error;
    }
    const paidAt = parseRfc3339(t.success_time ?? "");
    return {
      provider: this.provider,
      outTradeNo: t.out_trade_no,
      status: statusByTradeState[t.trade_state],
      channelState: t.trade_state,
      ...(t.transaction_id ? { transactionId: t.transaction_id } : {}),
      ...(t.amount?.total !== undefined ? { amountFen: BigInt(t.amount.total) } : {}),
      ...(paidAt !== null ? { paidAt: new Date(paidAt) } : {}),
      ...(t.payer?.openid ? { payerId: t.payer.openid } : {}),
      ...(t.attach ? { attach: t.attach } : {}),
    };
  }

  async closeOrder({ outTradeNo }: { outTradeNo: string }): Promise<CloseOutcome> {
    try {
      await this.client.closeOrder(outTradeNo);
      return { outcome: "closed" };
    } catch (error) {
      if (!(error instanceof ChannelError)) throw error;
      if (error.code === "order_paid") return { outcome: "already_paid" };
      if (error.code === "order_not_found") return { outcome: "not_found" };
      if (error.code === "order_closed") return { outcome: "closed" };
      throw error;
    }
  }

  async refund(input: RefundInput): Promise<RefundSnapshot> {
    const violations = checkWechatRefund(input);
    if (violations.length > 0) {
      throw new ChannelError(
        "invalid_order",
        this.provider,
        "refund breaks WeChat Pay limits",
        undefined,
        undefined,
        {
          violations,
        },
      );
    }
    const refund = await this.client.createRefund({
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.notifyUrl ? { notify_url: input.notifyUrl } : {}),
      amount: {
        refund: fenToJsonInteger(input.refundFen),
        total: fenToJsonInteger(input.totalFen),
        currency: "CNY",
      },
    });
    return this.#refundSnapshot(refund);
  }

  async queryRefund(input: { outTradeNo: string; outRefundNo: string }): Promise<RefundSnapshot> {
    try {
      return this.#refundSnapshot(await this.client.queryRefund(input.outRefundNo));
    } catch (error) {
      if (error instanceof ChannelError && error.code === "refund_not_found") {
        return {
          provider: this.provider,
          ...input,
          status: "not_found",
          channelState: "RESOURCE_NOT_EXISTS",
        };
      }
      throw error;
    }
  }

  parseCallback(headers: CallbackHeaders, rawBody: Uint8Array | string): Promise<CallbackResult> {
    return parseWechatPayCallback(this.client, this.#nonces, headers, rawBody);
  }

  async downloadTradeBill({ billDate }: { billDate: string }): Promise<TradeBill> {
    const bill = await this.client.applyTradeBill({ billDate, billType: "ALL" });
    const raw = await this.client.downloadBill(bill.download_url);
    const sha1 = createHash("sha1").update(raw).digest("hex");
    if (sha1 !== bill.hash_value.toLowerCase()) {
      throw new ChannelError(
        "bill_hash_mismatch",
        this.provider,
        `bill ${billDate}: SHA1 ${sha1} ≠ ${bill.hash_value}`,
      );
    }
    const file = parseWechatTradeBill(Buffer.from(raw).toString("utf8"));
    return { provider: this.provider, billDate, rows: wechatBillRows(file), raw };
  }

  #refundSnapshot(refund: Refund): RefundSnapshot {
    const succeededAt = parseRfc3339(refund.success_time ?? "");
    return {
      provider: this.provider,
      outTradeNo: refund.out_trade_no,
      outRefundNo: refund.out_refund_no,
      status: statusByRefundState[refund.status],
      channelState: refund.status,
      refundId: refund.refund_id,
      refundFen: BigInt(refund.amount.refund),
      ...(succeededAt !== null ? { succeededAt: new Date(succeededAt) } : {}),
    };
  }
}
