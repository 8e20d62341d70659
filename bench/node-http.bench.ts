// HTTP serving throughput on loopback, measured with autocannon against the
// built packages: each server runs in a process of its own (see
// node-http-server.ts), the servers alternate within every round, and the
// figures are medians over the rounds with their ranges. Ratios are against
// bare node:http and against @hono/node-server in the same run, for
// throughput and for the server process's CPU time per request (which a
// machine busy with other work disturbs far less than throughput).
//
//   pnpm build && pnpm bench node-http
//
// Environment: BENCH_ROUNDS (default 7), BENCH_SECONDS per server and round
// (default 5), BENCH_CONNECTIONS (default 50).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { median } from "./compare";

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Math.max(7, Number(process.env.BENCH_ROUNDS ?? 7));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

const CASES: { kind: string; label: string }[] = [
  { kind: "bare", label: "bare node:http" },
  { kind: "hono", label: "@hono/node-server, same fetch handler" },
  {
    kind: "hono-plain",
    label: "@hono/node-server, `overrideGlobalObjects: false`",
  },
  { kind: "serve-10", label: "serve(), 10% sampled" },
  { kind: "serve-100", label: "serve(), 100% sampled" },
  { kind: "instrument-10", label: "node:http + instrumentServer(), 10% sampled" },
  { kind: "otel-10", label: "node:http + @opentelemetry/instrumentation-http, 10% sampled" },
];

if (!existsSync(join(here, "../packages/node/dist/index.js"))) {
  console.error("node-http: the packages are not built; run `pnpm build` first");
  process.exit(1);
}

interface RunningChild {
  child: ChildProcess;
  port: number;
  /** CPU time the server process has used so far, in µs. */
  cpu(): Promise<number>;
}

async function startServer(kind: string): Promise<RunningChild> {
  // No `--conditions=source`: @groundwork/* resolve to dist/, as in an app.
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(here, "node-http-server.ts"), kind],
    { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, NODE_ENV: "production" } },
  );
  const waiting: ((line: string) => void)[] = [];
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let i = buffered.indexOf("\n"); i !== -1; i = buffered.indexOf("\n")) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      waiting.shift()?.(line);
    }
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      waiting.push(resolve);
      child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
    });
  const port = Number((await nextLine()).replace("listening ", ""));
  return {
    child,
    port,
    async cpu() {
      const line = nextLine();
      child.stdin?.write("cpu\n");
      return Number((await line).replace("cpu ", ""));
    },
  };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

interface Sample {
  rps: number;
  p99: number;
  /** Server CPU time per request, µs. */
  cpuPerRequest: number;
}

async function measure(kind: string): Promise<Sample> {
  const { child, port, cpu } = await startServer(kind);
  try {
    const url = `http://127.0.0.1:${port}/hello`;
    // Warm-up: lets the JIT settle before the measured run.
    await autocannon({ url, connections: CONNECTIONS, duration: 1 });
    const cpuBefore = await cpu();
    const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
    const cpuAfter = await cpu();
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${kind}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    }
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      cpuPerRequest: (cpuAfter - cpuBefore) / Math.max(1, result.requests.total),
    };
  } finally {
    await stopServer(child);
  }
}

const samples = new Map<string, Sample[]>(CASES.map((c) => [c.kind, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? CASES : [...CASES].reverse();
  for (const c of order) {
    const sample = await measure(c.kind);
    samples.get(c.kind)?.push(sample);
    process.stderr.write(
      `round ${round + 1}/${ROUNDS} ${c.kind}: ${Math.round(sample.rps)} req/s, ${sample.cpuPerRequest.toFixed(1)} µs CPU/request\n`,
    );
  }
}

// Per-round ratios against the two references, so load elsewhere on the
// machine during one round cancels out.
const ratios = (kind: string, reference: string, pick: (s: Sample) => number): number[] => {
  const ours = samples.get(kind) ?? [];
  const ref = samples.get(reference) ?? [];
  return ours.map((s, i) => pick(s) / (ref[i] === undefined ? Number.NaN : pick(ref[i])));
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const rpsOf = (s: Sample) => s.rps;
// Inverted so that, as for throughput, above 1 means cheaper than the reference.
const cpuEfficiency = (s: Sample) => 1 / s.cpuPerRequest;
const cell = (xs: number[]) => `${median(xs).toFixed(2)} (${range(xs)})`;

console.log(
  `\n## HTTP serving on loopback — Node ${process.version}, autocannon ${CONNECTIONS} connections, ${SECONDS} s × ${ROUNDS} rounds\n`,
);
console.log(
  "| server | req/s (median) | req/s range | p99 ms | server CPU µs/request | req/s × bare | req/s × hono | CPU × bare | CPU × hono |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const c of CASES) {
  const s = samples.get(c.kind) ?? [];
  const rps = s.map(rpsOf);
  console.log(
    `| ${c.label} | ${fmt(median(rps))} | ${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))} | ${median(s.map((x) => x.p99)).toFixed(1)} | ${median(s.map((x) => x.cpuPerRequest)).toFixed(1)} | ${cell(ratios(c.kind, "bare", rpsOf))} | ${cell(ratios(c.kind, "hono", rpsOf))} | ${cell(ratios(c.kind, "bare", cpuEfficiency))} | ${cell(ratios(c.kind, "hono", cpuEfficiency))} |`,
  );
}
console.log(
  "\nRatios are per round, then the median (range); above 1 is better than the reference. CPU × is the reference's CPU per request divided by this server's.",
);

// The pairs the targets are about, and serve() against hono left with the
// platform's own Request and Response, as serve() leaves them.
const PAIRS: [string, string][] = [
  ["serve-10", "hono"],
  ["serve-10", "hono-plain"],
  ["instrument-10", "otel-10"],
];
console.log("\n| pair | req/s × | CPU × |");
console.log("| --- | ---: | ---: |");
for (const [ours, reference] of PAIRS) {
  console.log(
    `| ${ours} ÷ ${reference} | ${cell(ratios(ours, reference, rpsOf))} | ${cell(ratios(ours, reference, cpuEfficiency))} |`,
  );
}
