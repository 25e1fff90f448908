/**
 * `buffmoney audit …`: the auditor's view of a ledger directory. Read-only: it copies the LevelDB
 * directory and audits the copy, so it runs beside a live server and never writes to the log.
 * `buffmoney backup` takes the same consistent copy and keeps it, with the directory's other files.
 *
 *   node bin/buffmoney.js audit verify --data-dir ./data [--json]
 *
 * Exit codes: 0 ok, 1 findings, 2 usage or I/O error.
 */
import { rmSync } from "node:fs";
import cliProgress from "cli-progress";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { formatMicros } from "../domain/money.js";
import {
  AsOfOutOfRangeError,
  AuditIntegrityError,
  AuditLedger,
  backupLedger,
  ExportPathError,
  LedgerCopyError,
  balancesAsOf,
  compareSnapshots,
  entityAsOf,
  exportCsv,
  resolveAsOf,
  verifyLedger,
  type AsOfInput,
  type AsOfPoint,
  type Finding,
} from "../snapshots/audit/index.js";

const exitOk = 0;
const exitFindings = 1;
const exitUsage = 2;

interface CommonOptions {
  dataDir: string;
  workDir?: string;
  json: boolean;
}

interface AsOfOptions {
  asOfSeq?: number;
  asOfTime?: number;
}

const json = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A progress bar on stderr while a long fold runs; nothing at all when stderr is not a terminal. */
function progress(label: string): { update: (seq: number, lastSeq: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | record {value}/{total} | {eta_formatted} left`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (seq, lastSeq) => {
      if (!started) bar.start(Math.max(lastSeq, 1), 0);
      started = true;
      bar.setTotal(Math.max(lastSeq, seq, 1));
      bar.update(seq);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

const nonNegativeInteger = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a sequence number (0, 1, 2, …)");
  return Number(value);
};

const isoTime = (value: string): number => {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new InvalidArgumentError("expected an ISO 8601 time such as 2025-06-30T23:59:59Z");
  }
  return ms;
};

function asOfInput(options: AsOfOptions): AsOfInput {
  if (options.asOfSeq !== undefined) return { seq: options.asOfSeq };
  if (options.asOfTime !== undefined) return { timeMs: options.asOfTime };
  return "head";
}

function describeAsOf(asOf: AsOfPoint): string {
  if (asOf.seq === 0) return "before the first record (seq 0)";
  return `seq ${asOf.seq} (${asOf.at === null ? "?" : new Date(asOf.at).toISOString()}, hash ${asOf.hash?.slice(0, 12) ?? "?"}…)`;
}

function printFindings(findings: readonly Finding[], dropped: number): void {
  if (findings.length === 0) {
    print("findings: none");
    return;
  }
  print(`findings: ${findings.length + dropped}`);
  for (const f of findings) print(`  seq ${f.seq ?? "-"}\t${f.check}\t${f.message}`);
  if (dropped > 0) print(`  … and ${dropped} more not listed`);
}

/** Opens a private copy of the data dir, runs `work`, and always removes the copy (also on Ctrl-C). */
async function withLedger(
  options: CommonOptions,
  work: (ledger: AuditLedger) => Promise<number>,
): Promise<number> {
  const ledger = await AuditLedger.open(options.dataDir, { workDir: options.workDir });
  const abandon = () => {
    rmSync(ledger.copy.path, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", abandon);
  process.once("SIGTERM", abandon);
  try {
    return await work(ledger);
  } catch (error) {
    if (!(error instanceof AuditIntegrityError)) throw error;
    // The log is broken before the point asked for: that is a finding, not a usage error.
    if (options.json) print(json({ ok: false, findings: [error.finding] }));
    else printFindings([error.finding], 0);
    return exitFindings;
  } finally {
    process.off("SIGINT", abandon);
    process.off("SIGTERM", abandon);
    await ledger.close();
  }
}

async function verify(options: CommonOptions): Promise<number> {
  return withLedger(options, async (ledger) => {
    const bar = progress("verify");
    const report = await verifyLedger(ledger, { onProgress: bar.update }).finally(bar.stop);
    const recordsPerSecond = report.ms > 0 ? Math.round((report.records / report.ms) * 1000) : null;
    if (options.json) {
      print(json({ ...report, recordsPerSecond, dataDir: options.dataDir, copy: copySummary(ledger) }));
      return report.ok ? exitOk : exitFindings;
    }
    const { head } = report;
    print(
      `audited ${options.dataDir} through ${describeAsOf({ seq: head.seq, at: head.at, hash: head.hash })}`,
    );
    print(
      `records ${report.records}  entities ${report.entities}  accounts ${report.accounts}  wallets ${report.wallets}  idempotency keys ${report.idempotencyKeys}`,
    );
    const totals = Object.entries(report.totalsMicros).map(([c, t]) => `${c} ${formatMicros(t)}`);
    print(
      `currencies ${report.currencies.join(", ") || "none"}; total per currency: ${totals.join(", ") || "-"}`,
    );
    print(`replayed ${report.stepsReplayed} wallet commands through the machine`);
    if (report.checkpoint) {
      print(
        `checkpoint at seq ${report.checkpoint.atSeq}: ${report.checkpoint.matches ? "matches" : "does not match"}`,
      );
    }
    printFindings(report.findings, report.findingsDropped);
    print(`took ${report.ms.toFixed(0)} ms (${recordsPerSecond ?? "-"} records/s)`);
    return report.ok ? exitOk : exitFindings;
  });
}

async function backup(options: { dataDir: string; out: string; json: boolean }): Promise<number> {
  const started = performance.now();
  const report = await backupLedger(options.dataDir, options.out);
  const ms = performance.now() - started;
  if (options.json) {
    print(json({ ...report, ms, dataDir: options.dataDir }));
    return report.findings.length === 0 ? exitOk : exitFindings;
  }
  print(
    `backed up ${options.dataDir} to ${report.path}: records 1–${report.headSeq} (head hash ${report.headHash ?? "-"})`,
  );
  print(
    `${report.files} files, ${(report.bytes / 1e6).toFixed(1)} MB, in ${ms.toFixed(0)} ms; hash chain checked`,
  );
  printFindings(report.findings, 0);
  print(
    "to restore: stop the server, put this directory where BUFFMONEY_DATA_DIR points, start it (it builds its entity index again)",
  );
  return report.findings.length === 0 ? exitOk : exitFindings;
}

function copySummary(ledger: AuditLedger) {
  const { linkedFiles, copiedFiles, attempts } = ledger.copy;
  return { linkedFiles, copiedFiles, attempts };
}

async function balances(options: CommonOptions & AsOfOptions & { account?: string }): Promise<number> {
  return withLedger(options, async (ledger) => {
    const asOf = await resolveAsOf(ledger, asOfInput(options));
    const bar = progress("balances");
    const report = await balancesAsOf(ledger, asOf, {
      accountPrefix: options.account,
      onProgress: bar.update,
    }).finally(bar.stop);
    if (options.json) {
      const rows = report.balances.map((b) => ({ ...b, balance: formatMicros(b.balanceMicros) }));
      print(json({ ...report, balances: rows }));
      return exitOk;
    }
    print(
      `balances as of ${describeAsOf(asOf)}${options.account ? `, accounts starting ${options.account}` : ""}`,
    );
    const width = Math.max(7, ...report.balances.map((b) => b.account.length));
    for (const b of report.balances) {
      print(`${b.account.padEnd(width)}  ${b.currency}  ${formatMicros(b.balanceMicros).padStart(18)}`);
    }
    for (const [currency, total] of Object.entries(report.totalsMicros)) {
      print(`${"total".padEnd(width)}  ${currency}  ${formatMicros(total).padStart(18)}`);
    }
    return exitOk;
  });
}

async function entity(
  name: string,
  options: CommonOptions & AsOfOptions & { snapshot: boolean },
): Promise<number> {
  return withLedger(options, async (ledger) => {
    const asOf = await resolveAsOf(ledger, asOfInput(options));
    const report = await entityAsOf(ledger, name, asOf, { useSnapshot: options.snapshot });
    print(json(report));
    return exitOk;
  });
}

async function snapshots(options: CommonOptions): Promise<number> {
  return withLedger(options, async (ledger) => {
    const bar = progress("compare-snapshots");
    const report = await compareSnapshots(ledger, { onProgress: bar.update }).finally(bar.stop);
    const code = report.findings.length + report.findingsDropped === 0 ? exitOk : exitFindings;
    if (options.json) {
      print(json({ ok: code === exitOk, ...report }));
      return code;
    }
    print(
      `${report.snapshots} snapshots: ${report.matched} match their replay from genesis, ${report.stale} from another machine version (not compared); log ends at ${report.headSeq}`,
    );
    printFindings(report.findings, report.findingsDropped);
    return code;
  });
}

async function exportLedger(
  options: CommonOptions & AsOfOptions & { out: string; account?: string },
): Promise<number> {
  return withLedger(options, async (ledger) => {
    const asOf = await resolveAsOf(ledger, asOfInput(options));
    const bar = progress("export");
    const report = await exportCsv(ledger, options.out, asOf, {
      account: options.account,
      onProgress: bar.update,
    }).finally(bar.stop);
    if (options.json) {
      print(json(report));
      return exitOk;
    }
    const totals = Object.entries(report.totalsMicros).map(([c, t]) => `${c} ${formatMicros(t)}`);
    print(
      `wrote ${report.rows} postings of ${report.records} records (through ${describeAsOf(asOf)}) to ${report.out}`,
    );
    print(`sum per currency: ${totals.join(", ") || "-"}`);
    return exitOk;
  });
}

const copyHelp = `
Read-only, and safe beside a running server: LevelDB lets one process open a directory (its LOCK
file), so each command first copies the data directory to a temporary directory (under --work-dir,
default the OS temp dir), hard-linking the immutable table files (*.ldb, *.sst) and copying
CURRENT, MANIFEST-* and the *.log files (LOCK and LOG are skipped). It audits the copy and removes
it afterwards. A record torn at the end of the copied .log is dropped when the copy opens: the
audit covers the log up to the head it reports. Put --work-dir on the data's filesystem for hard
links; elsewhere the tables are copied.

Exit codes: 0 ok, 1 findings (or a ledger too damaged to fold), 2 usage or I/O error.`;

function withCommon(command: Command): Command {
  return command
    .option("--data-dir <dir>", "the ledger's data directory", process.env.BUFFMONEY_DATA_DIR ?? "./data")
    .option("--work-dir <dir>", "where the temporary copy goes (default: the OS temp dir)")
    .option("--json", "machine-readable output on stdout", false);
}

function withAsOf(command: Command): Command {
  return command
    .addOption(
      new Option("--as-of-seq <n>", "as of this log sequence (after record n)")
        .argParser(nonNegativeInteger)
        .conflicts("asOfTime"),
    )
    .addOption(
      new Option("--as-of-time <iso>", "as of this ledger time (the last record at or before it)").argParser(
        isoTime,
      ),
    );
}

let exitCode = exitOk;
const run =
  <A extends unknown[]>(action: (...args: A) => Promise<number>) =>
  async (...args: A) => {
    exitCode = await action(...args);
  };

function program(): Command {
  const root = new Command("buffmoney").description("BuffMoney command line").exitOverride();
  const audit = root
    .command("audit")
    .description("audit a ledger directory: integrity, balances, entity state, snapshots, CSV export")
    .addHelpText("after", copyHelp);
  withCommon(audit.command("verify"))
    .description(
      "check the whole log: contiguous sequence, checksums, hash chain, balanced postings, no wallet below its floor, idempotency keys used once, replay of every wallet fact and posting, entity index, checkpoint",
    )
    .addHelpText("after", copyHelp)
    .action(run((options: CommonOptions) => verify(options)));
  withAsOf(withCommon(audit.command("balances")))
    .description("every account's balance (the fold of its postings) as of a sequence or time")
    .option("--account <prefix>", "only accounts whose name starts with this")
    .addHelpText("after", copyHelp)
    .action(run((options: CommonOptions & AsOfOptions & { account?: string }) => balances(options)));
  withAsOf(withCommon(audit.command("entity").argument("<entity>", "an entity such as wallet:cus_…")))
    .description(
      "one entity replayed from genesis (or from its snapshot when that is at or before the point and matches the log), as JSON",
    )
    .option("--no-snapshot", "replay from genesis even when a matching snapshot exists")
    .addHelpText("after", copyHelp)
    .action(
      run((name: string, options: CommonOptions & AsOfOptions & { snapshot: boolean }) =>
        entity(name, options),
      ),
    );
  withCommon(audit.command("compare-snapshots"))
    .description(
      "compare every stored entity snapshot with its replay from genesis to the snapshot's sequence",
    )
    .addHelpText("after", copyHelp)
    .action(run((options: CommonOptions) => snapshots(options)));
  withAsOf(withCommon(audit.command("export")))
    .description(
      "the ledger as CSV, one row per posting (seq, at, env, merchantId, entity, recordType, factType, account, currency, amount in units, hash); with --account, that account's history with a running balance",
    )
    .requiredOption("--out <file>", "the CSV file to write (never inside the data dir)")
    .option("--account <account>", "one account's history, with a running balance")
    .addHelpText("after", copyHelp)
    .action(
      run((options: CommonOptions & AsOfOptions & { out: string; account?: string }) =>
        exportLedger(options),
      ),
    );
  root
    .command("backup")
    .description(
      "copy a data directory, also while its server runs: the ledger as one consistent prefix (its hash chain checked), the secret key and the other files a server needs; the entity index is rebuilt on start",
    )
    .option("--data-dir <dir>", "the ledger's data directory", process.env.BUFFMONEY_DATA_DIR ?? "./data")
    .requiredOption("--out <dir>", "a new directory for the backup (on another disk, ideally)")
    .option("--json", "machine-readable output on stdout", false)
    .action(run((options: { dataDir: string; out: string; json: boolean }) => backup(options)));
  return root;
}

function exitFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? exitOk : exitUsage;
  const expected =
    error instanceof AsOfOutOfRangeError ||
    error instanceof ExportPathError ||
    error instanceof LedgerCopyError;
  process.stderr.write(
    `${expected ? "" : "error: "}${error instanceof Error ? error.message : String(error)}\n`,
  );
  return exitUsage;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...argv], { from: "node" });
    return exitCode;
  } catch (error) {
    return exitFor(error);
  }
}

process.exitCode = await main(process.argv);
