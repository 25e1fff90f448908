import { ChannelError } from "../errors.js";
import { fenToYuan, yuanToFen } from "../money.js";
import { formatBeijingDateTime, parseBeijingDateTime } from "../time.js";
import type {
  CallbackHeaders,
  CallbackResult,
  ChannelKind,
  CloseOutcome,
  CreatedOrder,
  CreateOrderInput,
  OrderSnapshot,
  PaymentChannel,
  RefundInput,
  RefundSnapshot,
  TradeBill,
} from "../types.js";
import { alipayBillRows, parseAlipayBillZip } from "./bill.js";
import { AlipayClient, type AlipayClientConfig, type AlipayResponse } from "./client.js";
import { parseAlipayCallback } from "./notification.js";
import { checkAlipayOrder, checkAlipayRefund, type AlipayOrderLimits } from "./orderRules.js";

export interface AlipayChannelConfig extends AlipayClientConfig, AlipayOrderLimits {}

const productCodes = {
  alipay_page: "FAST_INSTANT_TRADE_PAY",
  alipay_wap: "QUICK_WAP_WAY",
  alipay_qr: "FACE_TO_FACE_PAYMENT",
} as const;

const str = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

export class AlipayChannel implements PaymentChannel {
  readonly provider = "alipay" as const;
  readonly kinds: readonly ChannelKind[] = ["alipay_page", "alipay_wap", "alipay_qr"];
  readonly client: AlipayClient;
  readonly #limits: AlipayOrderLimits;

  constructor(config: AlipayChannelConfig) {
    this.client = new AlipayClient(config);
    this.#limits = config.amountFenMax === undefined ? {} : { amountFenMax: config.amountFenMax };
  }

  async createOrder(input: CreateOrderInput): Promise<CreatedOrder> {
    if (input.channel !== "alipay_page" && input.channel !== "alipay_wap" && input.channel !== "alipay_qr") {
      throw new RangeError(`not an Alipay channel: ${input.channel}`);
    }
    const violations = checkAlipayOrder(input, this.client.now(), this.#limits);
    if (violations.length > 0) {
      throw new ChannelError(
        "invalid_order",
        this.provider,
        "order breaks Alipay limits",
        undefined,
        undefined,
        {
          violations,
        },
      );
    }
    const biz: Record<string, unknown> = {
      out_trade_no: input.outTradeNo,
      total_amount: fenToYuan(input.amountFen),
      subject: input.description,
      product_code: productCodes[input.channel],
      time_expire: formatBeijingDateTime(input.expiresAt.getTime()),
      ...(input.attach !== undefined ? { passback_params: encodeURIComponent(input.attach) } : {}),
    };
    const extra = {
      notify_url: input.notifyUrl,
      ...(input.returnUrl ? { return_url: input.returnUrl } : {}),
    };
    const created = { channel: input.channel, outTradeNo: input.outTradeNo, expiresAt: input.expiresAt };
    if (input.channel === "alipay_qr") {
      const answer = await this.client.execute("alipay.trade.precreate", biz, extra);
      const codeUrl = str(answer.qr_code);
      if (!codeUrl)
        throw new ChannelError("channel_unavailable", this.provider, "precreate answered without qr_code");
      return { ...created, action: { type: "qr_code", codeUrl } };
    }
    if (input.channel === "alipay_wap" && input.returnUrl) biz.quit_url = input.returnUrl;
    const method = input.channel === "alipay_page" ? "alipay.trade.page.pay" : "alipay.trade.wap.pay";
    const { url, formHtml } = this.client.pageRequest(method, biz, extra);
    return { ...created, action: { type: "alipay_form", url, formHtml } };
  }

  async queryOrder({ outTradeNo }: { outTradeNo: string }): Promise<OrderSnapshot> {
    let answer: AlipayResponse;
    try {
      answer = await this.client.execute("alipay.trade.query", { out_trade_no: outTradeNo });
    } catch (error) {
      if (error instanceof ChannelError && error.code === "order_not_found") {
        return {
          provider: this.provider,
          outTradeNo,
          status: "not_found",
          channelState: "ACQ.TRADE_NOT_EXIST",
        };
      }
      throw error;
    }
    const state = str(answer.trade_status) ?? "";
    const paidAt = parseBeijingDateTime(str(answer.send_pay_date) ?? "");
    const status =
      state === "TRADE_SUCCESS" || state === "TRADE_FINISHED"
        ? "paid"
        : state === "WAIT_BUYER_PAY"
          ? "pending"
          : // A fully refunded trade is closed too; it carries its payment time.
            paidAt !== null
            ? "paid"
            : "closed";
    const amountFen = yuanToFen(str(answer.total_amount) ?? "");
    const tradeNo = str(answer.trade_no);
    const payerId = str(answer.buyer_user_id) ?? str(answer.buyer_open_id) ?? str(answer.buyer_logon_id);
    return {
      provider: this.provider,
      outTradeNo,
      status,
      channelState: state,
      ...(tradeNo ? { transactionId: tradeNo } : {}),
      ...(amountFen !== null ? { amountFen } : {}),
      ...(paidAt !== null ? { paidAt: new Date(paidAt) } : {}),
      ...(payerId ? { payerId } : {}),
    };
  }

  async closeOrder({ outTradeNo }: { outTradeNo: string }): Promise<CloseOutcome> {
    try {
      await this.client.execute("alipay.trade.close", { out_trade_no: outTradeNo });
      return { outcome: "closed" };
    } catch (error) {
      if (!(error instanceof ChannelError)) throw error;
      if (error.code === "order_not_found") return { outcome: "not_found" };
      if (error.channelCode !== "ACQ.TRADE_STATUS_ERROR") throw error;
    }
    // Only WAIT_BUYER_PAY trades close; ask what it is instead.
    const snapshot = await this.queryOrder({ outTradeNo });
    return snapshot.status === "paid" ? { outcome: "already_paid" } : { outcome: "closed" };
  }

  async refund(input: RefundInput): Promise<RefundSnapshot> {
    const violations = checkAlipayRefund(input);
    if (violations.length > 0) {
      throw new ChannelError(
        "invalid_order",
        this.provider,
        "refund breaks Alipay limits",
        undefined,
        undefined,
        {
          violations,
        },
      );
    }
    const answer = await this.client.execute("alipay.trade.refund", {
      out_trade_no: input.outTradeNo,
      refund_amount: fenToYuan(input.refundFen),
      out_request_no: input.outRefundNo,
      ...(input.reason ? { refund_reason: input.reason } : {}),
    });
    // `10000` only means accepted; `fund_change: "Y"` means the money moved now. Otherwise ask.
    if (answer.fund_change !== "Y") return this.queryRefund(input);
    const at = parseBeijingDateTime(str(answer.gmt_refund_pay) ?? "");
    return {
      provider: this.provider,
      outTradeNo: input.outTradeNo,
      outRefundNo: input.outRefundNo,
      status: "succeeded",
      channelState: "REFUND_SUCCESS",
      refundFen: input.refundFen,
      ...(at !== null ? { succeededAt: new Date(at) } : {}),
    };
  }

  async queryRefund(input: { outTradeNo: string; outRefundNo: string }): Promise<RefundSnapshot> {
    const answer = await this.client.execute("alipay.trade.fastpay.refund.query", {
      out_trade_no: input.outTradeNo,
      out_request_no: input.outRefundNo,
      query_options: ["gmt_refund_pay"],
    });
    const state = str(answer.refund_status);
    const refundFen = yuanToFen(str(answer.refund_amount) ?? "");
    const at = parseBeijingDateTime(str(answer.gmt_refund_pay) ?? "");
    // No refund_status: Alipay has no successful refund under this request number.
    return {
      provider: this.provider,
      ...input,
      status: state === "REFUND_SUCCESS" ? "succeeded" : "not_found",
      channelState: state ?? "",
      ...(refundFen !== null ? { refundFen } : {}),
      ...(at !== null ? { succeededAt: new Date(at) } : {}),
    };
  }

  async parseCallback(_headers: CallbackHeaders, rawBody: Uint8Array | string): Promise<CallbackResult> {
    return parseAlipayCallback(this.client, rawBody);
  }

  async downloadTradeBill({ billDate }: { billDate: string }): Promise<TradeBill> {
    const answer = await this.client.execute("alipay.data.dataservice.bill.downloadurl.query", {
      bill_type: "trade",
      bill_date: billDate,
    });
    const url = str(answer.bill_download_url);
    if (!url) throw new ChannelError("channel_unavailable", this.provider, "no bill_download_url");
    const raw = await this.client.download(url);
    return { provider: this.provider, billDate, rows: alipayBillRows(parseAlipayBillZip(raw)), raw };
  }
}
