import { randomBytes } from "node:crypto";
import { encodeGbk } from "../../gbk.js";
import { channelLimits } from "../../limits.js";
import { fenToYuan } from "../../money.js";
import type { SimulatorContext } from "../../sandbox/koa.js";
import { beijingDayStartMs, dayMs, formatBeijingDate, formatBeijingDateTime } from "../../time.js";
import { createZip } from "../../zip.js";
import { business, invalidArguments, type AlipaySim } from "./context.js";
import type { Biz } from "./trades.js";

const detailColumns = [
  "支付宝交易号",
  "商户订单号",
  "业务类型",
  "商品名称",
  "创建时间",
  "完成时间",
  "门店编号",
  "门店名称",
  "操作员",
  "终端号",
  "对方账户",
  "订单金额（元）",
  "商家实收（元）",
  "支付宝红包（元）",
  "集分宝（元）",
  "支付宝优惠（元）",
  "商家优惠（元）",
  "券核销金额（元）",
  "券名称",
  "商家红包消费金额（元）",
  "卡消费金额（元）",
  "退款批次号/请求号",
  "服务费（元）",
  "分润（元）",
  "备注",
];

const summaryColumns = [
  "门店编号",
  "门店名称",
  "交易订单总笔数",
  "退款订单总笔数",
  "订单金额（元）",
  "商家实收（元）",
  "支付宝红包（元）",
  "集分宝（元）",
  "支付宝优惠（元）",
  "商家优惠（元）",
  "卡消费金额（元）",
  "服务费（元）",
  "分润（元）",
  "实收净额（元）",
];

const rule = "-".repeat(41);

/** 0.6% rounded half up to the fen; printed negative on payments (charged), positive on refunds. */
function feeFen(amountFen: bigint): bigint {
  return (amountFen * 6n + 500n) / 1000n;
}

function cnDate(ms: number): string {
  const [y, m, d] = formatBeijingDate(ms).split("-");
  return `${y}年${m}月${d}日 ${formatBeijingDateTime(ms).slice(11)}`;
}

interface Line {
  cells: string[];
  refund: boolean;
  amountFen: bigint;
  feeFen: bigint;
}

function lines(sim: AlipaySim, inPeriod: (ms: number) => boolean): Line[] {
  const out: Line[] = [];
  for (const trade of sim.store.trades.values()) {
    const buyer = trade.buyerLogonId ?? "";
    const row = (kind: "交易" | "退款", atMs: number, amountFen: bigint, requestNo: string, fee: bigint) => [
      `${trade.tradeNo}\t`,
      `${trade.outTradeNo}\t`,
      kind,
      trade.subject,
      formatBeijingDateTime(trade.createdAtMs),
      formatBeijingDateTime(atMs),
      "",
      "",
      "",
      "",
      buyer,
      fenToYuan(amountFen),
      fenToYuan(amountFen),
      "0.00",
      "0.00",
      "0.00",
      "0.00",
      "0.00",
      "",
      "0.00",
      "0.00",
      requestNo ? `${requestNo}\t` : "",
      fenToYuan(fee),
      "0.00",
      "",
    ];
    if (trade.paidAtMs !== undefined && inPeriod(trade.paidAtMs)) {
      const fee = feeFen(trade.totalFen);
      out.push({
        cells: row("交易", trade.paidAtMs, trade.totalFen, "", -fee),
        refund: false,
        amountFen: trade.totalFen,
        feeFen: fee,
      });
    }
    for (const refund of trade.refunds.values()) {
      if (!inPeriod(refund.atMs)) continue;
      const fee = feeFen(refund.refundFen);
      const cells = row("退款", refund.atMs, -refund.refundFen, refund.outRequestNo, fee);
      out.push({ cells, refund: true, amountFen: -refund.refundFen, feeFen: -fee });
    }
  }
  return out.sort((a, b) => (a.cells[5] ?? "").localeCompare(b.cells[5] ?? ""));
}

/** The trade bill zip: detail and summary CSVs, GBK, GBK entry names. Unpaid trades never appear. */
export function tradeBillZip(sim: AlipaySim, billDate: string, fromMs: number, toMs: number): Buffer {
  const rows = lines(sim, (ms) => ms >= fromMs && ms < toMs);
  const nowMs = sim.now();
  const head = (title: string) => [
    `#支付宝${title}查询`,
    `#账号：[${sim.keys.sellerId}]`,
    `#起始日期：[${cnDate(fromMs)}]   终止日期：[${cnDate(toMs)}]`,
  ];
  const payments = rows.filter((r) => !r.refund);
  const refunds = rows.filter((r) => r.refund);
  const detail = [
    ...head("业务明细"),
    `#${rule}业务明细列表${rule}`,
    detailColumns.join(","),
    ...rows.map((r) => r.cells.join(",")),
    `#${rule}业务明细列表结束${rule}`,
    `#交易合计：${payments.length}笔，退款合计：${refunds.length}笔`,
    `#导出时间：[${cnDate(nowMs)}]`,
  ];
  const amount = rows.reduce((sum, r) => sum + r.amountFen, 0n);
  const fees = rows.reduce((sum, r) => sum + r.feeFen, 0n);
  const summary = [
    ...head("业务汇总"),
    `#${rule}业务汇总列表${rule}`,
    summaryColumns.join(","),
    [
      "合计",
      "",
      payments.length,
      refunds.length,
      fenToYuan(amount),
      fenToYuan(amount),
      "0.00",
      "0.00",
      "0.00",
      "0.00",
      "0.00",
      fenToYuan(-fees),
      "0.00",
      fenToYuan(amount - fees),
    ].join(","),
    `#${rule}业务汇总列表结束${rule}`,
    `#导出时间：[${cnDate(nowMs)}]`,
  ];
  const stem = `${sim.keys.sellerId}_${billDate.replaceAll("-", "")}`;
  return createZip(
    [
      { name: encodeGbk(`${stem}_业务明细.csv`), data: encodeGbk(`${detail.join("\r\n")}\r\n`) },
      { name: encodeGbk(`${stem}_业务明细(汇总).csv`), data: encodeGbk(`${summary.join("\r\n")}\r\n`) },
    ],
    nowMs + 8 * 3600_000,
  );
}

export interface StoredBill {
  bytes: Buffer;
  fileName: string;
  expiresAtMs: number;
}

/** Day bills from the next day 09:00 Beijing; month bills (`yyyy-MM`) from the 3rd of the next month. */
function billPeriod(billDate: string): { fromMs: number; toMs: number; readyAtMs: number } | null {
  const day = beijingDayStartMs(billDate);
  if (day !== null) return { fromMs: day, toMs: day + dayMs, readyAtMs: day + dayMs + 9 * 3600_000 };
  const month = /^(\d{4})-(\d{2})$/.exec(billDate);
  const fromMs = month ? beijingDayStartMs(`${billDate}-01`) : null;
  if (!month || fromMs === null) return null;
  const next =
    Number(month[2]) === 12
      ? `${Number(month[1]) + 1}-01-01`
      : `${month[1]}-${String(Number(month[2]) + 1).padStart(2, "0")}-01`;
  const toMs = beijingDayStartMs(next) ?? fromMs;
  return { fromMs, toMs, readyAtMs: toMs + 2 * dayMs };
}

export function billDownloadUrlQuery(
  sim: AlipaySim,
  files: Map<string, StoredBill>,
  ctx: SimulatorContext,
  method: string,
  biz: Biz,
) {
  const billType = biz.bill_type;
  const billDate = typeof biz.bill_date === "string" ? biz.bill_date : "";
  if (billType !== "trade" && billType !== "signcustomer") {
    return sim.fail(ctx, method, invalidArguments("isv.invalid-arguments", "bill_type 参数无效"));
  }
  const period = billPeriod(billDate);
  if (!period) return sim.fail(ctx, method, invalidArguments("isv.invalid-arguments", "bill_date 参数无效"));
  const nowMs = sim.now();
  if (nowMs < period.readyAtMs) return sim.fail(ctx, method, business("isp.bill_not_exist", "账单不存在"));
  const bytes = tradeBillZip(sim, billDate, period.fromMs, period.toMs);
  const token = randomBytes(16).toString("hex");
  const compact = billDate.replaceAll("-", "");
  const fileName = `${sim.keys.sellerId}_${compact}.csv.zip`;
  for (const [key, stored] of files) if (stored.expiresAtMs < nowMs) files.delete(key);
  files.set(token, { bytes, fileName, expiresAtMs: nowMs + channelLimits.billDownloadUrlValidityMs });
  const query = new URLSearchParams({
    bizType: String(billType),
    userId: sim.keys.sellerId,
    fileType: "csv.zip",
    bizDates: compact,
    downloadFileName: fileName,
    fileId: token,
    timestamp: String(nowMs),
    token,
  });
  sim.succeed(ctx, method, { bill_download_url: `${ctx.state.baseUrl}/downloadBillFile.resource?${query}` });
}

/** GET /downloadBillFile.resource — valid for 30 s, unsigned. */
export function downloadBillFile(sim: AlipaySim, files: Map<string, StoredBill>) {
  return (ctx: SimulatorContext) => {
    const stored = files.get(String(ctx.query.token ?? ""));
    if (!stored || stored.expiresAtMs < sim.now()) {
      ctx.status = 404;
      ctx.type = "text/plain";
      ctx.body = "bill download url expired";
      return;
    }
    ctx.status = 200;
    ctx.type = "application/oct-stream";
    ctx.set("Content-Disposition", `attachment; filename="${encodeURIComponent(stored.fileName)}"`);
    ctx.body = stored.bytes;
  };
}
