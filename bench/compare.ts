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
