import stableStringify from "fast-json-stable-stringify";
import { Bench } from "tinybench";
import { decide } from "../machines/decide.js";
import { walletKind } from "../machines/walletKind.js";
import { replayRecord } from "../snapshots/replay.js";
import { decodeRecord, encodeRecord } from "../wal/codec.js";
import { genesisHash, type CommittedRecord, type LogRecord } from "../wal/record.js";
import { benchCustomerId, benchMerchantId, WalletDraftWriter } from "./lib/drafts.js";
import { runIfChild, type BenchRow } from "./lib/harness.js";
import { round } from "./lib/stats.js";

/**
 * Per-record CPU costs behind the WAL and replay numbers (tinybench, in-process): where a
 * record's microseconds go. Information only, no targets.
 */
const name = "codecMicro";
const timeMs = Number(process.env.BENCH_MICRO_TIME_MS ?? 300);

export async function codecMicro(): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const writer = new WalletDraftWriter(benchCustomerId(1), benchMerchantId);
  writer.grant(1, 1_000_000_000n);
  const stateBefore = {
    value: "active",
    context: { ...walletKind.initialState().context, balanceMicros: writer.balanceMicros },
  };
  const draft = writer.debit(Date.now(), 10_000n);
  const body: LogRecord = { ...draft, seq: 2, at: Date.now(), prevHash: genesisHash };
  const { value } = encodeRecord(body);
  const decoded = decodeRecord(value);
  if (!decoded.ok) throw new Error("the sample record does not decode");
  const record: CommittedRecord = decoded.record;
  const command = walletKind.commandFromLog(record.command);
  const snapshot = walletKind.toSnapshot(stateBefore);
  // Sanity: the sample replays.
  const replayed = replayRecord(walletKind, stateBefore, record, benchCustomerId(1));
  if (replayed.context.balanceMicros !== writer.balanceMicros)
    throw new Error("the sample record does not replay");

  let sink = 0;
  const bench = new Bench({ time: timeMs, warmupTime: 100 });
  bench
    .add("encodeRecord (canonical JSON + SHA-256)", () => {
      sink += encodeRecord(body).value.length;
    })
    .add("  fast-json-stable-stringify (comparison)", () => {
      sink += stableStringify(body).length;
    })
    .add("  JSON.stringify (comparison)", () => {
      sink += JSON.stringify(body).length;
    })
    .add("decodeRecord (SHA-256 + JSON.parse)", () => {
      sink += decodeRecord(value).ok ? 1 : 0;
    })
    .add("replayRecord (decoded debit)", () => {
      sink += replayRecord(walletKind, stateBefore, record, benchCustomerId(1)).value.length;
    })
    .add("  commandFromLog (fromLoggable)", () => {
      sink += (walletKind.commandFromLog(record.command) as { type: string }).type.length;
    })
    .add("  toSnapshot (machine.resolveState)", () => {
      sink += walletKind.toSnapshot(stateBefore).status.length;
    })
    .add("  decide() alone (XState transition)", () => {
      sink += decide(walletKind.machine, snapshot, command as never).ok ? 1 : 0;
    })
    .add("build a wallet debit draft", () => {
      sink += writer.debit(1, 1n).facts.length;
    });
  await bench.run();
  const rows: BenchRow[] = [];
  const details: Record<string, unknown> = { recordBytes: value.length };
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== "completed") throw new Error(`${task.name}: ${result.state}`);
    const micros = result.latency.mean * 1000;
    rows.push({
      name: `micro: ${task.name}`,
      unit: "µs/op",
      measured: round(micros, 2),
      pass: null,
      notes: `${round(1e6 / micros).toLocaleString("en-US")} ops/s, p99 ${(result.latency.p99 * 1000).toFixed(1)} µs`,
    });
    details[task.name.trim()] = {
      microsMean: micros,
      microsP50: result.latency.p50 * 1000,
      samples: result.latency.samplesCount,
    };
  }
  details.sink = sink;
  return { rows, details };
}

runIfChild(name, codecMicro);
