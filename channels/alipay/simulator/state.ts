import { channelLimits } from "../../limits.js";
import { randomDigits } from "../../random.js";
import { formatBeijingCompact } from "../../time.js";

export type AlipayTradeStatus = "WAIT_BUYER_PAY" | "TRADE_SUCCESS" | "TRADE_CLOSED" | "TRADE_FINISHED";
export type AlipayTradeMethod = "alipay.trade.precreate" | "alipay.trade.page.pay" | "alipay.trade.wap.pay";

export interface AlipayRefundRecord {
  outRequestNo: string;
  refundFen: bigint;
  reason: string;
  atMs: number;
}

export interface AlipayTrade {
  outTradeNo: string;
  tradeNo: string;
  method: AlipayTradeMethod;
  totalFen: bigint;
  subject: string;
  notifyUrl?: string;
  returnUrl?: string;
  passbackParams?: string;
  fingerprint: string;
  createdAtMs: number;
  expireAtMs: number;
  /** Precreate trades exist for queries only once the buyer scans the code. */
  visible: boolean;
  status: AlipayTradeStatus;
  qrCode?: string;
  buyerId?: string;
  buyerLogonId?: string;
  paidAtMs?: number;
  closedAtMs?: number;
  refunds: Map<string, AlipayRefundRecord>;
  refundedFen: bigint;
}

export class AlipayStore {
  readonly trades = new Map<string, AlipayTrade>();
  readonly #byTradeNo = new Map<string, string>();

  constructor(private readonly now: () => number) {}

  isFull(): boolean {
    return this.trades.size >= channelLimits.simulatorOrdersMax;
  }

  /** Any trade, seen or not; an unpaid trade past its expiry is closed first. */
  trade(outTradeNo: string): AlipayTrade | undefined {
    const trade = this.trades.get(outTradeNo);
    if (trade && trade.status === "WAIT_BUYER_PAY" && this.now() >= trade.expireAtMs) {
      trade.status = "TRADE_CLOSED";
      trade.closedAtMs = trade.expireAtMs;
    }
    return trade;
  }

  /** What the API can see: `out_trade_no` or `trade_no`, and only trades the buyer has reached. */
  visibleTrade(ids: {
    out_trade_no?: string | undefined;
    trade_no?: string | undefined;
  }): AlipayTrade | undefined {
    const outTradeNo = ids.out_trade_no ?? this.#byTradeNo.get(ids.trade_no ?? "");
    const trade = outTradeNo === undefined ? undefined : this.trade(outTradeNo);
    if (!trade?.visible) return undefined;
    if (ids.trade_no !== undefined && trade.tradeNo !== ids.trade_no) return undefined;
    return trade;
  }

  add(trade: AlipayTrade): void {
    this.trades.set(trade.outTradeNo, trade);
    this.#byTradeNo.set(trade.tradeNo, trade.outTradeNo);
  }

  newTradeNo(): string {
    return `${formatBeijingCompact(this.now()).slice(0, 8)}22001${randomDigits(15)}`;
  }
}
