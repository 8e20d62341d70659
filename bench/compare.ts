import { PerformanceObserver } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Bench } from "tinybench";

/** One measured operation, run by our code and by the peer library in the same process. */
export interface ComparisonCase {
  /** What is measured, e.g. "JSON log, 5 fields". */
  name: string;
  /** Our implementation of the operation. */
  ours: () => unknown;
  /** The peer library's implementation of the same operation. */
  peer: () => unknown;
  /**
   * Calls per measured sample. Operations that take nanoseconds are run in a
   * loop so the timer resolution does not dominate; ops/s is per call.
   * Default 1.
   */
  batch?: number;
  /** Async operations are awaited once per call (batch is ignored). */
  async?: boolean;
}

/** A result row: ops/s for both sides and ours ÷ peer. */
export interface ComparisonRow {
  case: string;
  oursOpsPerSec: number;
  peerOpsPerSec: number;
  ratio: number;
}

/**
 * Runs each case for both sides in one tinybench run, prints a table and
 * returns the rows. A ratio above 1 means we are faster than the peer.
 */
export async function compare(
  title: string,
  peerName: string,
  cases: ComparisonCase[],
  options: { timeMs?: number } = {},
): Promise<ComparisonRow[]> {
  const bench = new Bench({ name: title, time: options.timeMs ?? 500, warmup: true });
  for (const c of cases) {
    const batch = c.async ? 1 : (c.batch ?? 1);
    const wrap = (fn: () => unknown) =>
      c.async
        ? async () => {
            await fn();
          }
        : batch === 1
          ? fn
          : () => {
              for (let i = 0; i < batch; i++) fn();
            };
    bench.add(`${c.name} | groundwork`, wrap(c.ours));
    bench.add(`${c.name} | ${peerName}`, wrap(c.peer));
  }
  await bench.run();
  const opsPerSec = (name: string, batch: number): number => {
    const task = bench.getTask(name);
    const result = task?.result;
    if (!result || !("period" in result))
      throw new Error(`benchmark task ${name} did not complete`);
    return (1000 / result.period) * batch;
  };
  const rows = cases.map((c) => {
    const batch = c.async ? 1 : (c.batch ?? 1);
    const ours = opsPerSec(`${c.name} | groundwork`, batch);
    const peer = opsPerSec(`${c.name} | ${peerName}`, batch);
    return { case: c.name, oursOpsPerSec: ours, peerOpsPerSec: peer, ratio: ours / peer };
  });
  printRows(title, peerName, rows);
  return rows;
}

function printRows(title: string, peerName: string, rows: ComparisonRow[]): void {
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(`\n## ${title} (vs ${peerName}) — Node ${process.version}\n`);
  console.log(`| case | groundwork ops/s | ${peerName} ops/s | ratio |`);
  console.log("| --- | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(
      `| ${r.case} | ${fmt(r.oursOpsPerSec)} | ${fmt(r.peerOpsPerSec)} | ${r.ratio.toFixed(2)}x |`,
    );
  }
}

/** What {@link measureAllocation} saw. */
export interface AllocationResult {
  /** Heap growth per call between the two readings (garbage included). */
  bytesPerCall: number;
  /** Garbage collections during the calls. */
  collections: number;
}

/**
 * Calls `fn` many times and reports garbage collections and heap growth: an
 * allocation of even a few bytes per call shows up as scavenges over
 * 2,000,000 calls, so zero collections means the path allocates nothing.
 */
export async function measureAllocation(
  fn: () => void,
  calls = 2_000_000,
): Promise<AllocationResult> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  for (let k = 0; k < 10_000; k++) fn();
  gc();
  await new Promise((r) => setTimeout(r, 20));
  let collections = 0;
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  });
  observer.observe({ entryTypes: ["gc"] });
  const before = process.memoryUsage().heapUsed;
  for (let k = 0; k < calls; k++) fn();
  const after = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  return { bytesPerCall: (after - before) / calls, collections };
}
