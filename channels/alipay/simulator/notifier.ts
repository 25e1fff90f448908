import { fenToYuan } from "../../money.js";
import { randomDigits } from "../../random.js";
import type { CallbackFaults } from "../../sandbox/callbackDelivery.js";
import { signSha256WithRsa } from "../../rsa.js";
import { formatBeijingCompact, formatBeijingDateTime, formatBeijingDateTimeMs } from "../../time.js";
import { alipaySignContent, notifySignExclusions } from "../signing.js";
import type { AlipaySim } from "./context.js";
import type { AlipayRefundRecord, AlipayTrade } from "./state.js";

/**
 * `trade_status_sync` to the trade's notify_url: a signed form, the same bytes on every resend
 * (one notify_id), acknowledged only by the body `success`.
 */
export function sendAlipayNotify(
  sim: AlipaySim,
  trade: AlipayTrade,
  refund: AlipayRefundRecord | null,
  faults: CallbackFaults = {},
): string | null {
  if (!trade.notifyUrl) return null;
  const nowMs = sim.now();
  const notifyId = `${formatBeijingCompact(nowMs).slice(0, 8)}00222${randomDigits(21)}`;
  const total = fenToYuan(trade.totalFen);
  const params: Record<string, string> = {
    notify_time: formatBeijingDateTime(nowMs),
    notify_type: "trade_status_sync",
    notify_id: notifyId,
    app_id: sim.keys.appId,
    auth_app_id: sim.keys.appId,
    charset: "utf-8",
    version: "1.0",
    sign_type: "RSA2",
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_id: trade.buyerId ?? "",
    buyer_logon_id: trade.buyerLogonId ?? "",
    seller_id: sim.keys.sellerId,
    seller_email: "sandbox-merchant@example.com",
    trade_status: trade.status,
    total_amount: total,
    receipt_amount: total,
    invoice_amount: total,
    buyer_pay_amount: total,
    point_amount: "0.00",
    subject: trade.subject,
    gmt_create: formatBeijingDateTime(trade.createdAtMs),
    gmt_payment: trade.paidAtMs === undefined ? "" : formatBeijingDateTime(trade.paidAtMs),
    fund_bill_list: JSON.stringify([{ amount: total, fundChannel: "ALIPAYACCOUNT" }]),
    passback_params: trade.passbackParams ?? "",
  };
  if (refund) {
    params.out_biz_no = refund.outRequestNo;
    params.refund_fee = fenToYuan(trade.refundedFen);
    params.gmt_refund = formatBeijingDateTimeMs(refund.atMs);
  }
  if (trade.status === "TRADE_CLOSED") params.gmt_close = formatBeijingDateTime(trade.closedAtMs ?? nowMs);
  const sent = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== ""));
  sent.sign = signSha256WithRsa(sim.alipayPrivateKey, alipaySignContent(sent, notifySignExclusions));
  const body = new URLSearchParams(sent).toString();
  const tampered = new URLSearchParams({ ...sent, total_amount: fenToYuan(trade.totalFen + 1n) }).toString();
  sim.delivery.enqueue(
    {
      eventId: notifyId,
      url: trade.notifyUrl,
      label: `${trade.status}${refund ? " refund" : ""} ${trade.outTradeNo}`,
      build: (mode) => {
        if (mode === "valid") return { headers: formHeaders, body };
        if (mode === "bad_signature") return { headers: formHeaders, body: tampered };
        return null;
      },
      isAcknowledged: (_status, responseBody) => responseBody.trim() === "success",
    },
    { ...sim.defaultCallbackFaults, ...faults },
  );
  return notifyId;
}

const formHeaders = { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" };
