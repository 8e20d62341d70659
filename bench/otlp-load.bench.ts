// OTLP trace export under load and faults, on the built packages. An app loop creates spans
// at a fixed rate and the default batch span processor exports them to an OTLP/HTTP receiver
// that decodes every request with the official protobuf definitions, in a process of its
// own as a collector would be (see otlp-receiver-process.ts; BENCH_RECEIVER=harness for
// the test harness's recording receiver). Runs without and with the exporter
// alternate within every round (the order flips from one round to the next); the figures
// are medians over the rounds with their ranges: spans created, dropped, failed and
// received, the app's event-loop delay p99 (monitorEventLoopDelay) and the app process's CPU
// time, without and with the exporter. Then, once each: requests per second while the collector answers 500, and
// shutdown time against a collector that never answers.
//
//   pnpm build && node --import tsx bench/otlp-load.bench.ts [spans/s] [seconds] [rounds]
//
// Defaults: 20 000 spans/s, 20 s per run, 7 rounds (at least 7 unless BENCH_QUICK=1, for
// short runs while developing).
import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { span } from "@groundwork/core";
import {
  type BatchSpanProcessorStats,
  createBatchSpanProcessor,
  createOtlpTraceExporter,
} from "@groundwork/core/otlp";
import { createTracing } from "@groundwork/core/tracing";
import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { median } from "./compare";

const rate = Number(process.argv[2] ?? 20_000);
const seconds = Number(process.argv[3] ?? 20);
const quick = process.env.BENCH_QUICK === "1";
const rounds = Math.max(quick ? 1 : 7, Number(process.argv[4] ?? 7));
const TICK_MS = 10;

if (!existsSync(new URL("../packages/core/dist/index.js", import.meta.url))) {
  console.error("otlp-load: the packages are not built; run `pnpm build` first");
  process.exit(1);
}

/** The receiver process, driven over IPC. */
interface Receiver {
  endpoint: string;
  call<T extends object>(command: string, extra?: object): Promise<T>;
  stop(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const child: ChildProcess = fork(new URL("./otlp-receiver-process.ts", import.meta.url), {
    execArgv: ["--import", "tsx", "--max-old-space-size=4096"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiting = new Map<number, (message: Record<string, unknown>) => void>();
  let nextId = 1;
  child.on("message", (message: Record<string, unknown>) => {
    const id = message.id as number;
    waiting.get(id)?.(message);
    waiting.delete(id);
  });
  const ready = await new Promise<Record<string, unknown>>((resolve) => waiting.set(0, resolve));
  const call = <T extends object>(command: string, extra: object = {}): Promise<T> =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      waiting.set(id, (message) => resolve(message as T));
      child.send({ id, command, ...extra });
    });
  return {
    endpoint: ready.endpoint as string,
    call,
    async stop() {
      await call("stop");
      child.kill();
    },
  };
}

interface LoadResult {
  p99: number;
  created: number;
  /** CPU time of this process per second of load, in ms (user + system). */
  cpuMsPerSecond: number;
}

/** Creates `rate` spans a second for `seconds`, in ticks; returns the event-loop delay p99. */
async function load(processors: SpanProcessor[]): Promise<LoadResult> {
  const tracing = createTracing({ serviceName: "load", spanProcessors: processors });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const cpuBefore = process.cpuUsage();
  let created = 0;
  const perTick = Math.round((rate * TICK_MS) / 1000);
  const end = performance.now() + seconds * 1000;
  await context.with(tracing.context(ROOT_CONTEXT), async () => {
    let next = performance.now();
    while (performance.now() < end) {
      for (let i = 0; i < perTick; i++) {
        span("GET /orders/:id", { attributes: { "http.route": "/orders/:id", n: i } }, () => {
          created++;
        });
      }
      next += TICK_MS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
  });
  histogram.disable();
  await tracing.shutdown();
  const cpu = process.cpuUsage(cpuBefore);
  return {
    p99: histogram.percentile(99) / 1e6,
    created,
    cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / seconds,
  };
}

// The defaults unless BENCH_MAX_CONCURRENT_EXPORTS is set (to compare settings).
const concurrency = process.env.BENCH_MAX_CONCURRENT_EXPORTS;
const processorFor = (endpoint: string) =>
  createBatchSpanProcessor(
    createOtlpTraceExporter({ endpoint }),
    concurrency === undefined ? {} : { maxConcurrentExports: Number(concurrency) },
  );

const summary = (values: number[], digits = 0): string =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

interface Round {
  without: LoadResult;
  with: LoadResult;
  stats: BatchSpanProcessorStats;
  received: number;
  /** Requests the receiver could not decode with the official definitions. */
  undecoded: number;
}

async function healthyRound(receiver: Receiver, round: number): Promise<Round> {
  await receiver.call("reset");
  const processor = processorFor(receiver.endpoint);
  const runWith = () => load([processor]);
  let without: LoadResult;
  let withExporter: LoadResult;
  if (round % 2 === 0) {
    without = await load([]);
    withExporter = await runWith();
  } else {
    withExporter = await runWith();
    without = await load([]);
  }
  const { spans, undecoded } = await receiver.call<{ spans: number; undecoded: number }>("counts");
  return { without, with: withExporter, stats: processor.stats(), received: spans, undecoded };
}

/** CPU time the exporter added to the app process, per span created, in µs. */
const exporterCpuPerSpan = (r: Round): number =>
  ((r.with.cpuMsPerSecond - r.without.cpuMsPerSecond) * 1000 * seconds) / r.with.created;

async function healthy(receiver: Receiver): Promise<void> {
  const results: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    const r = await healthyRound(receiver, round);
    results.push(r);
    console.log(
      `  round ${round + 1}: created ${r.with.created}, dropped ${r.stats.dropped}, ` +
        `failed ${r.stats.failed}, received ${r.received} (undecodable requests ${r.undecoded}); p99 ${r.without.p99.toFixed(1)} ms ` +
        `without, ${r.with.p99.toFixed(1)} ms with; load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
  const pick = (f: (r: Round) => number) => results.map(f);
  console.log(
    `healthy collector (${process.env.BENCH_RECEIVER === "harness" ? "test-harness receiver" : "lean decoding receiver"}), ` +
      `${rate} spans/s asked for ${seconds} s, ${rounds} interleaved rounds ` +
      `(median, range):\n` +
      `  spans created             ${summary(pick((r) => r.with.created))}\n` +
      `  spans/s reached           ${summary(pick((r) => r.with.created / seconds))}\n` +
      `  dropped                   ${summary(pick((r) => r.stats.dropped))}\n` +
      `  dropped %                 ${summary(
        pick((r) => (100 * r.stats.dropped) / r.with.created),
        2,
      )}\n` +
      `  failed                    ${summary(pick((r) => r.stats.failed))}\n` +
      `  received by the collector ${summary(pick((r) => r.received))}\n` +
      `  p99 without exporter, ms  ${summary(
        pick((r) => r.without.p99),
        1,
      )}\n` +
      `  p99 with exporter, ms     ${summary(
        pick((r) => r.with.p99),
        1,
      )}\n` +
      `  p99 added, ms             ${summary(
        pick((r) => r.with.p99 - r.without.p99),
        1,
      )}\n` +
      `  app CPU ms/s without      ${summary(pick((r) => r.without.cpuMsPerSecond))}\n` +
      `  app CPU ms/s with         ${summary(pick((r) => r.with.cpuMsPerSecond))}\n` +
      `  exporter CPU µs per span  ${summary(pick(exporterCpuPerSpan), 1)}`,
  );
}

async function failing(receiver: Receiver): Promise<void> {
  await receiver.call("reset");
  await receiver.call("respondWith", { status: 500 });
  const processor = processorFor(receiver.endpoint);
  const started = performance.now();
  await load([processor]);
  const elapsed = (performance.now() - started) / 1000;
  const { requests } = await receiver.call<{ requests: number }>("counts");
  const stats = processor.stats();
  console.log(
    `collector answering 500: ${(requests / elapsed).toFixed(1)} requests/s ` +
      `over ${elapsed.toFixed(1)} s; failed ${stats.failed}, dropped ${stats.dropped}`,
  );
  await receiver.call("reset");
}

async function dead(): Promise<void> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const processor = processorFor(`http://127.0.0.1:${port}/v1/traces`);
  const tracing = createTracing({ serviceName: "load", spanProcessors: [processor] });
  context.with(tracing.context(ROOT_CONTEXT), () => {
    for (let i = 0; i < 5000; i++) span("work", () => undefined);
  });
  const started = performance.now();
  await tracing.shutdown();
  console.log(
    `shutdown against a collector that never answers: ${((performance.now() - started) / 1000).toFixed(2)} s ` +
      `(default bound 5 s); dropped ${processor.stats().dropped}`,
  );
  server.close();
}

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
const receiver = await startReceiver();
try {
  await healthy(receiver);
  await failing(receiver);
  await dead();
} finally {
  await receiver.stop();
}
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
// Open sockets of the hanging collector must not decide when the bench ends.
process.exit(0);
