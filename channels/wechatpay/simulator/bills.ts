import { createHash, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { z } from "zod";
import { fenToYuan } from "../../money.js";
import type { SimulatorContext } from "../../sandbox/koa.js";
import { beijingDayStartMs, dayMs, formatBeijingDate, formatBeijingDateTime } from "../../time.js";
import type { WechatSim } from "./context.js";
import { injectedFault } from "./orders.js";
import type { SimOrder, SimRefund } from "./state.js";

const allColumns = [
  "交易时间",
  "公众账号ID",
  "商户号",
  "特约商户号",
  "设备号",
  "微信订单号",
  "商户订单号",
  "用户标识",
  "交易类型",
  "交易状态",
  "付款银行",
  "货币种类",
  "应结订单金额",
  "代金券金额",
  "微信退款单号",
  "商户退款单号",
  "退款金额",
  "充值券退款金额",
  "退款类型",
  "退款状态",
  "商品名称",
  "商户数据包",
  "手续费",
  "费率",
  "订单金额",
  "申请退款金额",
  "费率备注",
] as const;

type Column = (typeof allColumns)[number] | "退款申请时间" | "退款成功时间";

const refundColumns: ReadonlySet<Column> = new Set([
  "微信退款单号",
  "商户退款单号",
  "退款金额",
  "充值券退款金额",
  "退款类型",
  "退款状态",
  "申请退款金额",
]);

const columnsByType: Record<BillType, readonly Column[]> = {
  ALL: allColumns,
  SUCCESS: allColumns.filter((c) => !refundColumns.has(c)),
  REFUND: [...allColumns.slice(0, 14), "退款申请时间", "退款成功时间", ...allColumns.slice(14)],
};

const summaryColumns = [
  "总交易单数",
  "应结订单总金额",
  "退款总金额",
  "充值券退款总金额",
  "手续费总金额",
  "订单总金额",
  "申请退款总金额",
];

type BillType = "ALL" | "SUCCESS" | "REFUND";

/** 0.6%, rounded half up to the fen; bills print it with 5 decimals. */
const feeRatePermille = 6n;

function feeFen(amountFen: bigint): bigint {
  return (amountFen * feeRatePermille + 500n) / 1000n;
}

const fee5 = (fen: bigint) => `${fenToYuan(fen)}000`;

interface BillLine {
  cells: Partial<Record<Column, string>>;
  settleFen: bigint;
  refundFen: bigint;
  feeFen: bigint;
  orderFen: bigint;
}

function paymentLine(order: SimOrder): BillLine {
  const total = order.totalFen;
  const fee = feeFen(order.totalFen);
  const cells: BillLine["cells"] = {
    交易时间: formatBeijingDateTime(order.successAtMs ?? 0),
    公众账号ID: order.appid,
    商户号: order.mchid,
    特约商户号: "0",
    设备号: "",
    微信订单号: order.transactionId ?? "",
    商户订单号: order.outTradeNo,
    用户标识: order.paidOpenid ?? "",
    交易类型: order.tradeType,
    交易状态: "SUCCESS",
    付款银行: order.bankType ?? "OTHERS",
    货币种类: "CNY",
    应结订单金额: fenToYuan(total),
    代金券金额: "0.00",
    微信退款单号: "0",
    商户退款单号: "0",
    退款金额: "0.00",
    充值券退款金额: "0.00",
    退款类型: "",
    退款状态: "",
    商品名称: order.description,
    商户数据包: order.attach,
    手续费: fee5(fee),
    费率: "0.60%",
    订单金额: fenToYuan(total),
    申请退款金额: "0.00",
    费率备注: "",
  };
  return { cells, settleFen: total, refundFen: 0n, feeFen: fee, orderFen: total };
}

function refundLine(refund: SimRefund, order: SimOrder): BillLine {
  const amount = refund.refundFen;
  const fee = -feeFen(refund.refundFen);
  const cells: BillLine["cells"] = {
    ...paymentLine(order).cells,
    交易时间: formatBeijingDateTime(refund.successAtMs ?? 0),
    交易状态: "REFUND",
    应结订单金额: "0.00",
    微信退款单号: refund.refundId,
    商户退款单号: refund.outRefundNo,
    退款金额: fenToYuan(amount),
    退款类型: "ORIGINAL",
    退款状态: "SUCCESS",
    手续费: fee5(fee),
    订单金额: "0.00",
    申请退款金额: fenToYuan(amount),
    退款申请时间: formatBeijingDateTime(refund.createdAtMs),
    退款成功时间: formatBeijingDateTime(refund.successAtMs ?? 0),
  };
  return { cells, settleFen: 0n, refundFen: amount, feeFen: fee, orderFen: 0n };
}

/** The day's bill text (UTF-8, CRLF), or null when nothing happened that day. */
export function tradeBillText(sim: WechatSim, billDate: string, type: BillType): string | null {
  const onDay = (ms: number | undefined) => ms !== undefined && formatBeijingDate(ms) === billDate;
  const lines: BillLine[] = [];
  if (type !== "REFUND") {
    for (const order of sim.store.orders.values())
      if (onDay(order.successAtMs)) lines.push(paymentLine(order));
  }
  if (type !== "SUCCESS") {
    for (const refund of sim.store.refunds.values()) {
      const order = sim.store.orders.get(refund.outTradeNo);
      if (order && refund.status === "SUCCESS" && onDay(refund.successAtMs))
        lines.push(refundLine(refund, order));
    }
  }
  if (lines.length === 0) return null;
  lines.sort((a, b) => (a.cells.交易时间 ?? "").localeCompare(b.cells.交易时间 ?? ""));
  const sum = (pick: (line: BillLine) => bigint) => lines.reduce((total, line) => total + pick(line), 0n);
  const refunds = sum((l) => l.refundFen);
  const summary = [
    String(lines.length),
    fenToYuan(sum((l) => l.settleFen)),
    fenToYuan(refunds),
    "0.00",
    fee5(sum((l) => l.feeFen)),
    fenToYuan(sum((l) => l.orderFen)),
    fenToYuan(refunds),
  ];
  const columns = columnsByType[type];
  const text = [
    columns.join(","),
    ...lines.map((line) => columns.map((c) => `\`${line.cells[c] ?? ""}`).join(",")),
    summaryColumns.join(","),
    summary.map((cell) => `\`${cell}`).join(","),
  ];
  return `${text.join("\r\n")}\r\n`;
}

const billQuerySchema = z.object({
  bill_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  bill_type: z.enum(["ALL", "SUCCESS", "REFUND"]).default("ALL"),
  tar_type: z.literal("GZIP").optional(),
  sub_mchid: z.string().optional(),
});

const readyAfterMs = dayMs + 10 * 3600_000; // the next day, 10:00 Beijing
const keptMs = 90 * dayMs;
const downloadValidityMs = 5 * 60_000;

export interface StoredBill {
  bytes: Buffer;
  gzip: boolean;
  expiresAtMs: number;
}

/** GET /v3/bill/tradebill — ready the next day after 10:00 Beijing, kept three months. */
export function applyTradeBill(sim: WechatSim, files: Map<string, StoredBill>) {
  return (ctx: SimulatorContext) => {
    if (injectedFault(sim, ctx, "tradebill")) return;
    const parsed = billQuerySchema.safeParse(ctx.query);
    if (!parsed.success) return sim.fail(ctx, "PARAM_ERROR", "bill_date/bill_type 参数错误");
    const { bill_date, bill_type, tar_type } = parsed.data;
    const dayStart = beijingDayStartMs(bill_date);
    if (dayStart === null) return sim.fail(ctx, "PARAM_ERROR", "bill_date 格式错误");
    const nowMs = sim.now();
    if (nowMs < dayStart + dayMs) return sim.fail(ctx, "NO_STATEMENT_EXIST", "账单日期不能是今天或未来");
    if (nowMs < dayStart + readyAfterMs) return sim.fail(ctx, "STATEMENT_CREATING");
    if (nowMs > dayStart + keptMs) return sim.fail(ctx, "NO_STATEMENT_EXIST", "只能下载三个月以内的账单");
    const text = tradeBillText(sim, bill_date, bill_type);
    if (text === null) return sim.fail(ctx, "NO_STATEMENT_EXIST", "当日无交易，账单文件不存在");
    const bytes = tar_type === "GZIP" ? gzipSync(Buffer.from(text, "utf8")) : Buffer.from(text, "utf8");
    const token = randomBytes(16).toString("hex");
    for (const [key, stored] of files) if (stored.expiresAtMs < nowMs) files.delete(key);
    files.set(token, { bytes, gzip: tar_type === "GZIP", expiresAtMs: nowMs + downloadValidityMs });
    sim.respond(ctx, 200, {
      hash_type: "SHA1",
      hash_value: createHash("sha1").update(bytes).digest("hex"),
      download_url: `${ctx.state.baseUrl}/v3/billdownload/file?token=${token}`,
    });
  };
}

/** GET /v3/billdownload/file?token= — the request is signed, the answer is not. */
export function downloadBillFile(sim: WechatSim, files: Map<string, StoredBill>) {
  return (ctx: SimulatorContext) => {
    const stored = files.get(String(ctx.query.token ?? ""));
    if (!stored || stored.expiresAtMs < sim.now())
      return sim.fail(ctx, "RESOURCE_NOT_EXISTS", "下载链接已失效");
    ctx.status = 200;
    ctx.type = stored.gzip ? "application/x-gzip" : "text/plain; charset=utf-8";
    ctx.body = stored.bytes;
  };
}
