// Per-request cost of instrumentation in real workerd: the same Worker (bench/worker/app.ts,
// a fetch handler making one outbound fetch) bare, with @groundwork/worker and with
// @microlabs/otel-cf-workers, each in a Miniflare instance (a workerd process) of its own,
// requests sent over loopback. The instrumented Workers export every trace to a local OTLP
// receiver. Bundled from the built packages (`pnpm build` first).
//
// Each round runs every variant for the same time, in an order that rotates from round to
// round, and records requests per second and the workerd process's CPU time per request
// (from /proc; on a machine shared with other work CPU time per request moves less than
// throughput). Reported: medians over the rounds, and the median and range of the per-round
// ratios against the bare Worker.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { bundleWorker, startOtlpReceiver } from "@groundwork/test-harness";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { median } from "./compare";

const ROUNDS = Math.max(7, Number(process.env.ROUNDS ?? "7"));
const ROUND_MS = Number(process.env.ROUND_MS ?? "1500");
const CONCURRENCY = 8;
// WORKERS=bare,groundwork,... compares other Workers of bench/worker/ (the first is the
// baseline), e.g. variants of the Groundwork Worker with parts turned off, or the bare-*
// Workers, which each add by hand one thing every instrumented invocation needs (its async
// context, following the body, the START entry, finishing in waitUntil; bare-required all
// four): the floor any instrumentation doing what @groundwork/worker does starts from.
const names = (process.env.WORKERS ?? "bare,groundwork,otel-cf-workers").split(",");
type Name = string;

const upstream = createServer((_req, res) => res.end("upstream"));
await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const receiver = await startOtlpReceiver();
const bindings = {
  UPSTREAM: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`,
  OTLP: receiver.url,
};

/** workerd processes started by this process (Miniflare spawns one per instance). */
function workerdPids(): Set<number> {
  const pids = new Set<number>();
  try {
    const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, "utf8");
    for (const pid of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd") pids.add(pid);
    }
  } catch {
    // No /proc: CPU time is not reported.
  }
  return pids;
}

/** CPU time (user + system) of a process so far, in ms; `NaN` when unknown. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Variant {
  mf: Miniflare;
  pid: number | undefined;
  fetch(url: string): Promise<{ text(): Promise<string> }>;
}

const variants = {} as Record<Name, Variant>;
for (const name of names) {
  const before = workerdPids();
  const mf = new Miniflare({
    ...convertV4MiniflareOptions({
      name,
      modules: true,
      script: await bundleWorker(new URL(`./worker/${name}.ts`, import.meta.url), {
        source: false,
      }),
      compatibilityDate: "2025-09-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings,
      // The Durable Object of the app is not exercised here.
      durableObjects: { COUNTER: "Counter" },
    }),
    // Console output (the Groundwork Worker writes a START entry per request) is dropped
    // rather than printed, as Workers Logs takes it off the Worker in production.
    handleStructuredLogs: () => {},
  });
  await mf.ready;
  const pid = [...workerdPids()].find((p) => !before.has(p));
  const worker = (await mf.getWorker()) as unknown as Pick<Variant, "fetch">;
  variants[name] = { mf, pid, fetch: (url) => worker.fetch(url) };
}

/**
 * Runs requests from `CONCURRENCY` loops for `ms`; returns requests/s, CPU ms/request and
 * requests to the collector per request.
 */
async function run(
  variant: Variant,
  ms: number,
): Promise<{ rps: number; cpu: number; exports: number }> {
  let done = 0;
  const cpuBefore = cpuMs(variant.pid);
  const exportsBefore = receiver.requests().length;
  const started = performance.now();
  const until = started + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await (await variant.fetch("http://bench.test/")).text();
        done++;
      }
    }),
  );
  const elapsed = performance.now() - started;
  // Let the waitUntil exports of the last requests (gathered for 100 ms by the Groundwork
  // Worker) finish inside the measured CPU time.
  await new Promise((resolve) => setTimeout(resolve, 400));
  return {
    rps: (done * 1000) / elapsed,
    cpu: (cpuMs(variant.pid) - cpuBefore) / done,
    exports: (receiver.requests().length - exportsBefore) / done,
  };
}

for (const variant of Object.values(variants)) await run(variant, 300); // warm-up
const results = Object.fromEntries(
  names.map((n) => [n, { rps: [] as number[], cpu: [] as number[], exports: [] as number[] }]),
);
for (let round = 0; round < ROUNDS; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length] as Name);
  for (const name of order) {
    const { rps, cpu, exports } = await run(variants[name] as Variant, ROUND_MS);
    results[name]?.rps.push(rps);
    results[name]?.cpu.push(cpu);
    results[name]?.exports.push(exports);
  }
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
console.log(
  `\nWorker request with one outbound fetch, through Miniflare (${ROUNDS} interleaved rounds of ${ROUND_MS} ms, ${CONCURRENCY} concurrent loops)\n`,
);
console.log(
  "| Worker | requests/s (median) | workerd CPU ms/request (median) | collector requests per request (median) |",
);
console.log("| --- | ---: | ---: | ---: |");
for (const name of names) {
  const r = results[name];
  console.log(
    `| ${name} | ${fmt(median(r?.rps ?? []), 0)} | ${fmt(median(r?.cpu ?? []), 3)} | ${fmt(median(r?.exports ?? []), 3)} |`,
  );
}
console.log("\n| vs bare | requests/s ratio (median, range) | CPU/request ratio (median, range) |");
console.log("| --- | ---: | ---: |");
for (const name of names.slice(1)) {
  const ours = results[name];
  const bare = results[names[0] as Name];
  if (ours === undefined || bare === undefined) continue;
  const rps = ours.rps.map((x, i) => x / (bare.rps[i] as number));
  const cpu = ours.cpu.map((x, i) => x / (bare.cpu[i] as number));
  const range = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
  console.log(
    `| ${name} | ${fmt(median(rps))} (${range(rps)}) | ${fmt(median(cpu))} (${range(cpu)}) |`,
  );
}
console.log(`\nspans received by the collector: ${receiver.traces().length}`);
for (const variant of Object.values(variants)) await variant.mf.dispose();
await receiver.stop();
upstream.closeAllConnections();
upstream.close();
