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

/** A result row: median ops/s for both sides and ours ÷ peer over the rounds. */
export interface ComparisonRow {
  case: string;
  oursOpsPerSec: number;
  peerOpsPerSec: number;
  /** Median of the per-round ratios. */
  ratio: number;
  /** Lowest and highest per-round ratio. */
  ratioRange: [number, number];
}

/**
 * Runs each case for both sides in `rounds` tinybench runs (default 7), the
 * two sides in alternating order from one round to the next so that a burst
 * of load from elsewhere on the machine does not land on one side only.
 * Prints a table of medians with the spread of the ratio, and returns the
 * rows. A ratio above 1 means we are faster than the peer.
 */
export async function compare(
  title: string,
  peerName: string,
  cases: ComparisonCase[],
  options: { timeMs?: number; rounds?: number } = {},
): Promise<ComparisonRow[]> {
  const rounds = Math.max(1, options.rounds ?? 7);
  const ours: number[][] = cases.map(() => []);
  const peer: number[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ name: title, time: options.timeMs ?? 500, warmup: true });
    cases.forEach((c, i) => {
      const sides: [string, () => unknown][] = [
        [`${i} ours`, wrap(c, c.ours)],
        [`${i} peer`, wrap(c, c.peer)],
      ];
      if (round % 2 === 1) sides.reverse();
      for (const [name, fn] of sides) bench.add(name, fn);
    });
    await bench.run();
    cases.forEach((c, i) => {
      ours[i]!.push(opsPerSec(bench, `${i} ours`, batchOf(c)));
      peer[i]!.push(opsPerSec(bench, `${i} peer`, batchOf(c)));
    });
  }
  const rows = cases.map((c, i): ComparisonRow => {
    const ratios = ours[i]!.map((o, r) => o / peer[i]![r]!);
    return {
      case: c.name,
      oursOpsPerSec: median(ours[i]!),
      peerOpsPerSec: median(peer[i]!),
      ratio: median(ratios),
      ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    };
  });
  printRows(title, peerName, rounds, rows);
  return rows;
}

const batchOf = (c: ComparisonCase) => (c.async ? 1 : (c.batch ?? 1));

/** Where every measured call's result goes, so the optimiser cannot drop the work. */
const results: { last: unknown } = { last: undefined };

/**
 * The measured function of one side of one case. Each gets a loop compiled on
 * its own (`new Function`): closures made from one function literal share
 * V8's type feedback, so a single shared loop would see every case's
 * function and turn megamorphic as cases are added, and the figures would
 * depend on how many cases a file has.
 */
function wrap(c: ComparisonCase, fn: () => unknown): () => unknown {
  if (c.async) {
    return new Function(
      "fn",
      "results",
      "return async function measured() { results.last = await fn(); };",
    )(fn, results) as () => Promise<void>;
  }
  return new Function(
    "fn",
    "results",
    "batch",
    "return function measured() { for (let i = 0; i < batch; i++) results.last = fn(); };",
  )(fn, results, batchOf(c)) as () => void;
}

function opsPerSec(bench: Bench, name: string, batch: number): number {
  const result = bench.getTask(name)?.result;
  if (!result || !("period" in result)) throw new Error(`benchmark task ${name} did not complete`);
  return (1000 / result.period) * batch;
}

/** The median of `xs`, leaving out NaN (a reading that could not be taken); NaN if none is left. */
export function median(xs: number[]): number {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function printRows(title: string, peerName: string, rounds: number, rows: ComparisonRow[]): void {
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(
    `\n## ${title} (vs ${peerName}) — Node ${process.version}, median of ${rounds} rounds\n`,
  );
  console.log(`| case | groundwork ops/s | ${peerName} ops/s | ratio | ratio range |`);
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const [low, high] = r.ratioRange;
    console.log(
      `| ${r.case} | ${fmt(r.oursOpsPerSec)} | ${fmt(r.peerOpsPerSec)} | ${r.ratio.toFixed(2)}x | ${low.toFixed(2)}–${high.toFixed(2)} |`,
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
