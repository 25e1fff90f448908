import { Decimal } from "decimal.js";
import { signedYuanToFen } from "../money.js";
import { parseBeijingDateTime } from "../time.js";
import type { BillRow } from "../types.js";

/** WeChat's trade bill: a header line, backtick-prefixed data cells, then a summary header and row. */
export interface WechatTradeBillFile {
  columns: string[];
  rows: Array<Record<string, string>>;
  summary: Record<string, string>;
}

const summaryFirstColumn = "总交易单数";

function cells(line: string): string[] {
  // Data cells are "`value", joined by commas; splitting on ",`" keeps commas inside values.
  return line.startsWith("`") ? line.slice(1).split(",`") : line.split(",");
}

export function parseWechatTradeBill(text: string): WechatTradeBillFile {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  const columns = cells(lines[0] ?? "");
  const summaryAt = lines.findIndex((line) => line.startsWith(summaryFirstColumn));
  const dataLines = lines.slice(1, summaryAt < 0 ? lines.length : summaryAt);
  const zip = (names: string[], values: string[]) =>
    Object.fromEntries(names.map((name, i) => [name, values[i] ?? ""]));
  const summaryColumns = summaryAt < 0 ? [] : cells(lines[summaryAt] ?? "");
  return {
    columns,
    rows: dataLines.map((line) => zip(columns, cells(line))),
    summary: zip(summaryColumns, cells(lines[summaryAt + 1] ?? "")),
  };
}

function fen(text: string | undefined): bigint {
  const value = signedYuanToFen(text ?? "");
  if (value === null) throw new Error(`bad amount in bill: ${text}`);
  return value;
}

/** Fees print with 5 decimals; the ledger takes whole fen, rounded half up. */
function feeFen(text: string | undefined): bigint {
  return BigInt(new Decimal(text || "0").mul(100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}

export function wechatBillRows(file: WechatTradeBillFile): BillRow[] {
  return file.rows.map((row) => {
    const refund = row["交易状态"] === "REFUND";
    const at = parseBeijingDateTime(row["交易时间"] ?? "");
    if (at === null) throw new Error(`bad time in bill: ${row["交易时间"]}`);
    const base = {
      at: new Date(at),
      transactionId: row["微信订单号"] ?? "",
      outTradeNo: row["商户订单号"] ?? "",
      feeFen: feeFen(row["手续费"]),
    };
    if (!refund) return { kind: "payment", ...base, amountFen: fen(row["订单金额"] ?? row["应结订单金额"]) };
    return {
      kind: "refund",
      ...base,
      outRefundNo: row["商户退款单号"] ?? "",
      amountFen: -fen(row["退款金额"]),
    };
  });
}
