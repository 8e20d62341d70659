// HTTP serving throughput on loopback, measured with autocannon against the
// built packages: each server runs in a process of its own (see
// node-http-server.ts), the servers alternate within every round, and the
// figures are medians over the rounds with their ranges. Ratios are against
// bare node:http and against @hono/node-server in the same run.
//
//   pnpm build && pnpm bench node-http
//
// Environment: BENCH_ROUNDS (default 5), BENCH_SECONDS per server and round
// (default 5), BENCH_CONNECTIONS (default 50).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS ?? 5));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

const CASES: { kind: string; label: string }[] = [
  { kind: "bare", label: "bare node:http" },
  { kind: "hono", label: "@hono/node-server, same fetch handler" },
  { kind: "serve-10", label: "serve(), 10% sampled" },
  { kind: "serve-100", label: "serve(), 100% sampled" },
  { kind: "instrument-10", label: "node:http + instrumentServer(), 10% sampled" },
  { kind: "otel-10", label: "node:http + @opentelemetry/instrumentation-http, 10% sampled" },
];

if (!existsSync(join(here, "../packages/node/dist/index.js"))) {
  console.error("node-http: the packages are not built; run `pnpm build` first");
  process.exit(1);
}

async function startServer(kind: string): Promise<{ child: ChildProcess; port: number }> {
  // No `--conditions=source`: @groundwork/* resolve to dist/, as in an app.
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(here, "node-http-server.ts"), kind],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_ENV: "production" } },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { child, port };
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
}

async function measure(kind: string): Promise<Sample> {
  const { child, port } = await startServer(kind);
  try {
    const url = `http://127.0.0.1:${port}/hello`;
    // Warm-up: lets the JIT settle before the measured run.
    await autocannon({ url, connections: CONNECTIONS, duration: 1 });
    const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${kind}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    }
    return { rps: result.requests.average, p99: result.latency.p99 };
  } finally {
    await stopServer(child);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const samples = new Map<string, Sample[]>(CASES.map((c) => [c.kind, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? CASES : [...CASES].reverse();
  for (const c of order) {
    const sample = await measure(c.kind);
    samples.get(c.kind)?.push(sample);
    process.stderr.write(
      `round ${round + 1}/${ROUNDS} ${c.kind}: ${Math.round(sample.rps)} req/s\n`,
    );
  }
}

// Per-round ratios against the two references, so load elsewhere on the
// machine during one round cancels out.
const ratios = (kind: string, reference: string): number[] => {
  const ours = samples.get(kind) ?? [];
  const ref = samples.get(reference) ?? [];
  return ours.map((s, i) => s.rps / (ref[i]?.rps ?? Number.NaN));
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

console.log(
  `\n## HTTP serving on loopback — Node ${process.version}, autocannon ${CONNECTIONS} connections, ${SECONDS} s × ${ROUNDS} rounds\n`,
);
console.log("| server | req/s (median) | req/s range | p99 ms (median) | × bare | × hono |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const c of CASES) {
  const s = samples.get(c.kind) ?? [];
  const rps = s.map((x) => x.rps);
  const vsBare = ratios(c.kind, "bare");
  const vsHono = ratios(c.kind, "hono");
  console.log(
    `| ${c.label} | ${fmt(median(rps))} | ${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))} | ${median(s.map((x) => x.p99)).toFixed(1)} | ${median(vsBare).toFixed(2)} (${range(vsBare)}) | ${median(vsHono).toFixed(2)} (${range(vsHono)}) |`,
  );
}
