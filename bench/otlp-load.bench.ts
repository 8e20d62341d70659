// OTLP trace export under load and faults, on the built packages: an app loop creates spans
// at a fixed rate and the batch span processor exports them to the protobuf-decoding OTLP
// receiver of @groundwork/test-harness. Reports drops, event-loop delay p99 with and without
// the exporter, requests per second while the collector answers 500, and shutdown time
// against a collector that never answers.
//   pnpm build && node --import tsx bench/otlp-load.bench.ts [spans/s] [seconds]
import { createServer } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { span } from "@groundwork/core";
import { createBatchSpanProcessor, createOtlpTraceExporter } from "@groundwork/core/otlp";
import { createTracing } from "@groundwork/core/tracing";
import { type OtlpReceiver, startOtlpReceiver } from "@groundwork/test-harness";
import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";

const rate = Number(process.argv[2] ?? 20_000);
const seconds = Number(process.argv[3] ?? 10);
const TICK_MS = 10;

/** Creates `rate` spans a second for `seconds`, in ticks; returns the event-loop delay p99 (ms). */
async function load(processors: SpanProcessor[]): Promise<{ p99: number; created: number }> {
  const tracing = createTracing({ serviceName: "load", spanProcessors: processors });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
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
  return { p99: histogram.percentile(99) / 1e6, created };
}

function processorFor(endpoint: string) {
  return createBatchSpanProcessor(createOtlpTraceExporter({ endpoint }));
}

async function healthy(receiver: OtlpReceiver) {
  const baseline = await load([]);
  const processor = processorFor(receiver.endpoint("traces"));
  const withExporter = await load([processor]);
  const stats = processor.stats();
  console.log(
    `healthy collector, ${rate} spans/s for ${seconds} s: created ${withExporter.created}, ` +
      `received ${receiver.traces().length}, dropped ${stats.dropped} ` +
      `(${((100 * stats.dropped) / withExporter.created).toFixed(1)}%), failed ${stats.failed}; ` +
      `event-loop delay p99 ${baseline.p99.toFixed(1)} ms without the exporter, ` +
      `${withExporter.p99.toFixed(1)} ms with it`,
  );
}

async function failing(receiver: OtlpReceiver) {
  receiver.reset();
  receiver.respondWith(500);
  const processor = processorFor(receiver.endpoint("traces"));
  const started = performance.now();
  await load([processor]);
  const elapsed = (performance.now() - started) / 1000;
  const stats = processor.stats();
  console.log(
    `collector answering 500: ${(receiver.requests().length / elapsed).toFixed(1)} requests/s ` +
      `over ${elapsed.toFixed(1)} s; failed ${stats.failed}, dropped ${stats.dropped}`,
  );
}

async function dead() {
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

const receiver = await startOtlpReceiver();
try {
  await healthy(receiver);
  await failing(receiver);
  await dead();
} finally {
  await receiver.stop();
}
// Open sockets of the hanging collector must not decide when the bench ends.
process.exit(0);
