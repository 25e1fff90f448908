import { channelLimits } from "../../limits.js";
import { formatBeijingCompact } from "../../time.js";
import { randomDigits } from "../../random.js";

export type SimTradeType = "NATIVE" | "JSAPI" | "MWEB";
export type SimTradeState =
  "NOTPAY" | "SUCCESS" | "REFUND" | "CLOSED" | "REVOKED" | "USERPAYING" | "PAYERROR";
export type SimRefundStatus = "PROCESSING" | "SUCCESS" | "CLOSED" | "ABNORMAL";

export interface SimOrder {
  appid: string;
  mchid: string;
  outTradeNo: string;
  tradeType: SimTradeType;
  description: string;
  totalFen: bigint;
  notifyUrl: string;
  attach: string;
  payerOpenid?: string;
  fingerprint: string;
  createdAtMs: number;
  expireAtMs: number;
  prepayId: string;
  codeUrl?: string;
  h5Url?: string;
  state: SimTradeState;
  transactionId?: string;
  successAtMs?: number;
  paidOpenid?: string;
  bankType?: string;
  refundedFen: bigint;
}

export interface SimRefund {
  refundId: string;
  outRefundNo: string;
  outTradeNo: string;
  transactionId: string;
  reason: string;
  notifyUrl?: string;
  refundFen: bigint;
  totalFen: bigint;
  fingerprint: string;
  status: SimRefundStatus;
  createdAtMs: number;
  successAtMs?: number;
}

export const tradeStateDesc: Record<SimTradeState, string> = {
  SUCCESS: "支付成功",
  REFUND: "转入退款",
  NOTPAY: "订单未支付",
  CLOSED: "订单已关闭",
  REVOKED: "已撤销（付款码支付）",
  USERPAYING: "用户支付中（付款码支付）",
  PAYERROR: "支付失败，请重新下单支付",
};

const payable: ReadonlySet<SimTradeState> = new Set(["NOTPAY", "USERPAYING", "PAYERROR"]);

export function isPayable(state: SimTradeState): boolean {
  return payable.has(state);
}

/** Orders and refunds of one simulated merchant; unpaid orders close lazily once past `time_expire`. */
export class WechatStore {
  readonly orders = new Map<string, SimOrder>();
  readonly refunds = new Map<string, SimRefund>();
  readonly #byTransactionId = new Map<string, string>();

  constructor(private readonly now: () => number) {}

  isFull(): boolean {
    return this.orders.size >= channelLimits.simulatorOrdersMax;
  }

  order(outTradeNo: string): SimOrder | undefined {
    const order = this.orders.get(outTradeNo);
    if (order && isPayable(order.state) && this.now() >= order.expireAtMs) order.state = "CLOSED";
    return order;
  }

  orderByTransactionId(transactionId: string): SimOrder | undefined {
    const outTradeNo = this.#byTransactionId.get(transactionId);
    return outTradeNo === undefined ? undefined : this.order(outTradeNo);
  }

  add(order: SimOrder): void {
    this.orders.set(order.outTradeNo, order);
  }

  markPaid(order: SimOrder, openid: string, bankType: string): void {
    const nowMs = this.now();
    order.state = "SUCCESS";
    order.successAtMs = nowMs;
    order.transactionId = `4200${randomDigits(6)}${formatBeijingCompact(nowMs).slice(0, 8)}${randomDigits(10)}`;
    order.paidOpenid = openid;
    order.bankType = bankType;
    this.#byTransactionId.set(order.transactionId, order.outTradeNo);
  }

  newRefundId(): string {
    return `503${randomDigits(8)}${formatBeijingCompact(this.now()).slice(0, 8)}${randomDigits(10)}`;
  }
}
