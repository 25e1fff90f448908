import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { once } from "node:events";
import { formatMicros } from "../../domain/money.js";
import type { AsOfPoint } from "./asOf.js";
import { csvLine, utf8Bom, type CsvCell } from "./csv.js";
import { AuditIntegrityError } from "./findings.js";
import type { AuditLedger } from "./ledger.js";
import { stepsOf } from "./steps.js";
import { progressEveryRecords } from "./verify.js";

export const ledgerColumns = [
  "seq",
  "at",
  "env",
  "merchantId",
  "entity",
  "recordType",
  "factType",
  "account",
  "currency",
  "amount",
  "transactionId",
  "by",
  "idempotencyKeys",
  "hash",
] as const;

/** One account's history adds its running balance per currency after each posting. */
export const accountColumns = [...ledgerColumns.slice(0, 10), "balance", ...ledgerColumns.slice(10)] as const;

export interface ExportReport {
  out: string;
  asOf: AsOfPoint;
  records: number;
  rows: number;
  /** Sum of the exported amounts per currency (zero for the whole ledger). */
  totalsMicros: Record<string, bigint>;
}

const integer = /^-?\d+$/;

/** The export goes anywhere but into the data directory the audit reads. */
export class ExportPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportPathError";
  }
}

function assertOutside(out: string, dataDir: string): void {
  const rel = relative(resolve(dataDir), resolve(out));
  if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) {
    throw new ExportPathError(`--out ${out} is inside the data directory: the audit never writes there`);
  }
}

/**
 * The ledger as CSV, one row per posting up to the as-of point: the posting's entity is the part's
 * entity in a multi-entity record, and its fact type the fact of that part. With `account`, only
 * that account's postings, with a running balance. Amounts are decimal units (micros / 10^6). The
 * file is written beside `out` and renamed into place once complete.
 */
export async function exportCsv(
  ledger: AuditLedger,
  out: string,
  asOf: AsOfPoint,
  options: { account?: string | undefined; onProgress?: (seq: number, lastSeq: number) => void } = {},
): Promise<ExportReport> {
  assertOutside(out, ledger.dataDir);
  const partial = `${out}.partial`;
  const stream = createWriteStream(partial, { encoding: "utf8" });
  let failure: unknown = null;
  stream.on("error", (error) => {
    failure = error;
  });
  const write = async (text: string) => {
    if (failure !== null) throw failure;
    if (!stream.write(text)) await once(stream, "drain");
  };
  const report: ExportReport = { out, asOf, records: 0, rows: 0, totalsMicros: {} };
  const account = options.account;
  try {
    await once(stream, "open");
    await write(utf8Bom + csvLine(account === undefined ? [...ledgerColumns] : [...accountColumns]));
    for await (const record of ledger.records(asOf.seq)) {
      report.records += 1;
      for (const step of stepsOf(record).steps) {
        for (let i = step.from; i < step.to; i++) {
          const p = record.postings[i];
          if (!p || (account !== undefined && p.account !== account)) continue;
          if (!integer.test(p.amountMicros)) {
            throw new AuditIntegrityError({
              seq: record.seq,
              check: "bad_amount",
              message: `posting ${i} has no integer amount`,
            });
          }
          const amount = BigInt(p.amountMicros);
          const total = (report.totalsMicros[p.currency] ?? 0n) + amount;
          report.totalsMicros[p.currency] = total;
          const cells: CsvCell[] = [
            record.seq,
            new Date(record.at).toISOString(),
            record.env,
            record.merchantId ?? "",
            step.entity,
            record.command.type,
            step.fact?.type ?? "",
            p.account,
            p.currency,
            { amount: formatMicros(amount) },
          ];
          if (account !== undefined) cells.push({ amount: formatMicros(total) });
          cells.push(
            transactionIdOf(step.fact) ?? transactionIdOf(step.command) ?? "",
            actorText(step.command) ?? actorText(record.command) ?? "",
            record.keys.join(" "),
            record.hash,
          );
          await write(csvLine(cells));
          report.rows += 1;
        }
      }
      if (options.onProgress && record.seq % progressEveryRecords === 0)
        options.onProgress(record.seq, asOf.seq);
    }
    stream.end();
    await once(stream, "finish");
    await rename(partial, out);
  } catch (error) {
    stream.destroy();
    await rm(partial, { force: true });
    throw error;
  }
  return report;
}

function transactionIdOf(entry: unknown): string | undefined {
  const id = (entry as { transactionId?: unknown } | undefined)?.transactionId;
  return typeof id === "string" ? id : undefined;
}

/** Who asked, as the command names it: `api_key:<env>:<key id>` or `admin`; empty for the system. */
function actorText(command: unknown): string | undefined {
  const by = (command as { by?: { kind?: unknown; env?: unknown; keyId?: unknown } } | undefined)?.by;
  if (by === undefined || typeof by.kind !== "string") return undefined;
  return by.kind === "api_key" ? `api_key:${String(by.env)}:${String(by.keyId)}` : by.kind;
}
