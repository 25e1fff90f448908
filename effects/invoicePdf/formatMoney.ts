import { fenToMicros, formatMicros } from "../../domain/money.js";

/** Fen to "¥1,490.00" exactly, through bigint only; negative amounts read "-¥100.00". */
export function formatFen(fen: bigint): string {
  const plain = formatMicros(fenToMicros(fen), 2);
  const negative = plain.startsWith("-");
  return `${negative ? "-" : ""}¥${groupThousands(negative ? plain.slice(1) : plain)}`;
}

/** A decimal string as money, keeping every digit it has: "0.0002" → "¥0.0002", "1490" → "¥1,490.00". */
export function formatDecimalYuan(decimal: string): string {
  const negative = decimal.startsWith("-");
  const magnitude = negative ? decimal.slice(1) : decimal;
  const [whole = "0", fraction = ""] = magnitude.split(".");
  return `${negative ? "-" : ""}¥${groupThousands(`${whole}.${fraction.padEnd(2, "0")}`)}`;
}

/** A decimal quantity with thousands separators: "1200000" → "1,200,000", "2.5" stays "2.5". */
export function formatQuantity(decimal: string): string {
  const negative = decimal.startsWith("-");
  return `${negative ? "-" : ""}${groupThousands(negative ? decimal.slice(1) : decimal)}`;
}

function groupThousands(unsignedDecimal: string): string {
  const [whole = "0", fraction] = unsignedDecimal.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}
