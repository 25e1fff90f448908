/** One line of the results table. `measured` is null when the benchmark could not produce a number. */
export interface BenchRow {
  name: string;
  unit: string;
  measured: number | null;
  /** Shown instead of `measured` in the table (e.g. "ok"). */
  display?: string;
  baseline?: number | null;
  ratio?: number | null;
  /** Human-readable target, e.g. "≥ 5000" or "≥ 0.80× baseline"; empty for information only. */
  target?: string;
  /** true/false against the target; null when there is no target. */
  pass?: boolean | null;
  notes?: string;
}

export interface BenchOutcome {
  benchmark: string;
  rows: BenchRow[];
  details: Record<string, unknown>;
  ms: number;
  error?: string;
}

export type BenchFn = () => Promise<{ rows: BenchRow[]; details: Record<string, unknown> }>;

export const childFlag = "--bench-child";

/**
 * Benchmarks run one per child process (spawned by bench/run.ts) so that heap, JIT and GC of
 * one do not disturb the next. When this module is the child's entry, run and report over IPC.
 */
export function runIfChild(benchmark: string, fn: BenchFn): void {
  if (!process.argv.includes(childFlag)) return;
  const started = performance.now();
  const send = (outcome: BenchOutcome) =>
    new Promise<void>((resolve) => {
      if (process.send) process.send(outcome, () => resolve());
      else {
        console.log(JSON.stringify(outcome, null, 2));
        resolve();
      }
    });
  fn().then(
    async ({ rows, details }) => {
      await send({ benchmark, rows, details, ms: performance.now() - started });
      process.exit(0);
    },
    async (error: unknown) => {
      console.error(`[${benchmark}] failed:`, error);
      await send({
        benchmark,
        rows: [],
        details: {},
        ms: performance.now() - started,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      process.exit(1);
    },
  );
}

export function log(benchmark: string, message: string): void {
  console.log(`  [${benchmark}] ${message}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
