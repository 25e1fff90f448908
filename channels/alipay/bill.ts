import { Decimal } from "decimal.js";
import { decodeGbk } from "../gbk.js";
import { signedYuanToFen } from "../money.js";
import { parseBeijingDateTime } from "../time.js";
import type { BillRow } from "../types.js";
import { readZip } from "../zip.js";

/** Alipay's trade bill: a zip of GBK CSVs; the detail file lists rows between `#-----…` markers. */
export interface AlipayBillFile {
  detailName: string;
  columns: string[];
  rows: Array<Record<string, string>>;
  comments: string[];
}

export function parseAlipayBillZip(zip: Uint8Array): AlipayBillFile {
  const entries = readZip(zip);
  const detail =
    entries.find((e) => e.name.endsWith("业务明细.csv")) ?? entries.find((e) => !e.name.includes("汇总"));
  if (!detail) throw new Error("bill zip has no detail file");
  const lines = decodeGbk(detail.data).split(/\r?\n/);
  const comments = lines.filter((line) => line.startsWith("#"));
  const table = lines.filter((line) => line.trim() !== "" && !line.startsWith("#"));
  const columns = (table[0] ?? "").split(",").map((c) => c.trim());
  const rows = table.slice(1).map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(columns.map((column, i) => [column, (cells[i] ?? "").trim()]));
  });
  return { detailName: detail.name, columns, rows, comments };
}

function fen(text: string | undefined): bigint {
  const value = signedYuanToFen(text ?? "");
  if (value === null) throw new Error(`bad amount in bill: ${text}`);
  return value;
}

export function alipayBillRows(file: AlipayBillFile): BillRow[] {
  return file.rows.map((row) => {
    const refund = row["业务类型"] === "退款";
    const at = parseBeijingDateTime(row["完成时间"] || row["创建时间"] || "");
    if (at === null) throw new Error(`bad time in bill: ${row["完成时间"]}`);
    // 服务费 is what the merchant pays (negative) or gets back on a refund (positive).
    const fee = new Decimal(row["服务费（元）"] || "0").mul(-100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
    return {
      kind: refund ? "refund" : "payment",
      at: new Date(at),
      transactionId: row["支付宝交易号"] ?? "",
      outTradeNo: row["商户订单号"] ?? "",
      ...(refund ? { outRefundNo: row["退款批次号/请求号"] ?? "" } : {}),
      amountFen: fen(row["订单金额（元）"]),
      feeFen: BigInt(fee.toFixed(0)),
    };
  });
}
