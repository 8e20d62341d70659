// The Worker's own OTLP protobuf encoder of spans and metrics against the OpenTelemetry
// transformer's serializers (`ProtobufTraceSerializer`, `ProtobufMetricsSerializer`), on the
// same inputs, in one process.
//
// The inputs are what the built `@groundwork/worker` hands its encoder: the bench Worker
// (bench/worker/app.ts: a fetch handler making one outbound fetch) is instrumented in Node with
// `otlpJson` encoders that keep what they are given instead of encoding it, `fetch` answers
// without a network, and every invocation exports. So one request's spans are its server span
// (HTTP attributes) and the client span of its outbound fetch; a batch is those of 50 requests
// (what the export window joins under load); the metrics request is the Worker's push after
// them.
//
// The encoder is internal (not exported from the package): it is taken from the built
// `dist/index.js`, where tsup writes each source module as a section headed
// `// src/internal/protobuf.ts`. That section imports nothing; it is written to a module of its
// own with an export line added and imported, so the code measured is the code shipped.
//
// Reported, over 7 interleaved rounds (the two sides in alternating order): CPU time per
// encode (`process.cpuUsage`, which load from other processes inflates less than wall time),
// the ratio transformer ÷ ours (above 1: ours uses less CPU), ops/s from `compare()`, and the
// encoded bytes of both (deterministic), compared as bytes and as decoded by the OTLP receiver
// of `@groundwork/test-harness` (protobufjs with the official definitions).
//
//   pnpm build && node --import tsx bench/worker-protobuf.bench.ts

import { AsyncLocalStorage } from "node:async_hooks";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import type { OtlpTraceEncoding } from "@groundwork/core/otlp";
import type { OtlpMetricsEncoding } from "@groundwork/metrics/otlp";
import { startOtlpReceiver } from "@groundwork/test-harness";
import { instrument } from "@groundwork/worker";
import {
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { compare, median } from "./compare";
import { type Env, handler } from "./worker/app";

const ROUNDS = Math.max(7, Number(process.env.ROUNDS ?? "7"));
const BATCH = 50;

type MetricsRequest = Parameters<OtlpMetricsEncoding["encode"]>[0];

/** The Worker's encoder, from the built package. */
async function builtEncoder(): Promise<{
  protobufSpans: OtlpTraceEncoding;
  protobufMetrics: OtlpMetricsEncoding;
}> {
  const dist = new URL("../packages/worker/dist/index.js", import.meta.url);
  const code = readFileSync(dist, "utf8");
  const start = code.indexOf("// src/internal/protobuf.ts\n");
  const end = code.indexOf("\n// src/", start + 1);
  if (start < 0 || end < 0) throw new Error(`no src/internal/protobuf.ts section in ${dist}`);
  const dir = mkdtempSync(join(tmpdir(), "worker-protobuf-"));
  const file = join(dir, "protobuf.mjs");
  writeFileSync(file, `${code.slice(start, end)}\nexport { protobufSpans, protobufMetrics };\n`);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `requests` requests through the instrumented bench Worker and keeps what it exports. */
async function capture(requests: number): Promise<{
  perRequest: ReadableSpan[][];
  metrics: MetricsRequest;
}> {
  const perRequest: ReadableSpan[][] = [];
  let metrics: MetricsRequest | undefined;
  const traces: OtlpTraceEncoding = {
    protocol: "http/json",
    encode: (spans) => {
      perRequest.push([...spans]);
      return new Uint8Array(0);
    },
    join: (parts) => parts[0] ?? new Uint8Array(0),
    decodeResponse: () => ({}),
  };
  const metricsEncoding: OtlpMetricsEncoding = {
    protocol: "http/json",
    encode: (request) => {
      metrics = request;
      return new Uint8Array(0);
    },
    decodeResponse: () => ({}),
  };
  // Upstream and collector alike answer at once.
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input) => {
    const url = input instanceof Request ? input.url : String(input);
    return url.startsWith("https://upstream.example/")
      ? new Response("upstream", { headers: { "content-type": "text/plain" } })
      : new Response(null, { status: 200 });
  };
  const worker = instrument<Env, typeof handler>(handler, {
    serviceName: "bench",
    serviceVersion: "1.4.2",
    otlp: { endpoint: "https://collector.example", protocol: "http/json" },
    otlpJson: { traces, metrics: metricsEncoding },
    exportDelayMs: 0,
    asyncLocalStorage: AsyncLocalStorage,
  });
  const env: Env = { UPSTREAM: "https://upstream.example/items", COUNTER: undefined as never };
  const paths = ["/", "/items/42", "/search?q=shoes", "/items/7/reviews"];
  for (let i = 0; i < requests; i++) {
    const request = new Request(`https://shop.example.com${paths[i % paths.length]}`, {
      method: i % 5 === 4 ? "POST" : "GET",
      headers: {
        "user-agent":
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
        "cf-ray": `8e${(1_000_000 + i).toString(16)}-CDG`,
      },
      ...(i % 5 === 4 ? { body: '{"q":"shoes"}' } : {}),
    });
    Object.defineProperty(request, "cf", { value: { colo: "CDG", country: "FR" } });
    const pending: Promise<unknown>[] = [];
    const ctx = {
      waitUntil: (p: Promise<unknown>) => pending.push(p),
      passThroughOnException() {},
    };
    // The app's handler leaves the execution context out; the instrumented one needs it.
    const fetchWith = worker.fetch as (r: Request, e: Env, c: unknown) => Promise<Response>;
    const response = await fetchWith(request, env, ctx);
    await response.text();
    await Promise.all(pending);
  }
  globalThis.fetch = realFetch;
  if (metrics === undefined || perRequest.length < requests) {
    throw new Error(
      `the Worker exported ${perRequest.length} span batches and ${metrics ? 1 : 0} metrics requests`,
    );
  }
  return { perRequest, metrics };
}

/** CPU time of one call of `fn` in µs, over calls adding up to about `ms` of CPU. */
function cpuPerCall(fn: () => unknown, ms: number): number {
  let calls = 1;
  for (;;) {
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const used = process.cpuUsage(before);
    const us = used.user + used.system;
    if (us >= ms * 1000) return us / calls;
    calls *= us < 1000 ? 10 : Math.ceil((ms * 1000) / us) + 1;
  }
}

const { protobufSpans, protobufMetrics } = await builtEncoder();
// The Worker writes its `START` entries to the console: not part of this benchmark's output.
const print = console.log;
console.log = () => undefined;
const captured = await capture(BATCH).finally(() => {
  console.log = print;
});
const oneRequest = captured.perRequest[0]!;
const batch = captured.perRequest.flat();
const metricsRequest = captured.metrics;
const metrics = metricsRequest.scopeMetrics.flatMap((s) => s.metrics);
const points = metrics.reduce((n, m) => n + m.dataPoints.length, 0);

interface Case {
  name: string;
  signal: "traces" | "metrics";
  ours: () => Uint8Array;
  peer: () => Uint8Array;
}
const cases: Case[] = [
  {
    signal: "traces",
    name: `one request's spans (${oneRequest.length})`,
    ours: () => protobufSpans.encode(oneRequest) as Uint8Array,
    peer: () => ProtobufTraceSerializer.serializeRequest(oneRequest) as Uint8Array,
  },
  {
    signal: "traces",
    name: `${BATCH} requests' spans (${batch.length})`,
    ours: () => protobufSpans.encode(batch) as Uint8Array,
    peer: () => ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array,
  },
  {
    signal: "metrics",
    name: `metrics request (${metrics.length} metrics, ${points} points)`,
    ours: () => protobufMetrics.encode(metricsRequest) as Uint8Array,
    peer: () => ProtobufMetricsSerializer.serializeRequest(metricsRequest) as Uint8Array,
  },
];

const load = () => loadavg()[0]!.toFixed(1);
const loadBefore = load();

// Both bodies, decoded with the official definitions by the receiver of the tests.
const receiver = await startOtlpReceiver();
async function decoded(signal: "traces" | "metrics", body: Uint8Array): Promise<unknown> {
  receiver.reset();
  const response = await fetch(receiver.endpoint(signal), {
    method: "POST",
    headers: { "content-type": "application/x-protobuf" },
    body,
  });
  if (response.status !== 200) throw new Error(`the receiver answered ${response.status}`);
  return signal === "traces" ? receiver.traces() : receiver.metrics();
}
console.log("\n## Encoded bytes (deterministic)\n");
console.log("| case | Worker encoder | transformer | same bytes | same decoded |");
console.log("| --- | ---: | ---: | --- | --- |");
for (const c of cases) {
  const a = c.ours();
  const b = c.peer();
  const same = a.length === b.length && a.every((x, i) => x === b[i]);
  const sameDecoded = isDeepStrictEqual(await decoded(c.signal, a), await decoded(c.signal, b));
  console.log(
    `| ${c.name} | ${a.length} B | ${b.length} B | ${same ? "yes" : "no"} | ${sameDecoded ? "yes" : "no"} |`,
  );
}
await receiver.stop();

const cpu = cases.map(() => ({ ours: [] as number[], peer: [] as number[] }));
for (let round = 0; round < ROUNDS; round++) {
  cases.forEach((c, i) => {
    const sides: ["ours" | "peer", () => unknown][] = [
      ["ours", c.ours],
      ["peer", c.peer],
    ];
    if (round % 2 === 1) sides.reverse();
    for (const [side, fn] of sides) {
      cpuPerCall(fn, 50); // warm-up
      cpu[i]![side].push(cpuPerCall(fn, 300));
    }
  });
}
console.log(
  `\n## CPU time per encode — Node ${process.version}, median of ${ROUNDS} rounds, load average ${loadBefore}–${load()}\n`,
);
console.log("| case | Worker encoder µs | transformer µs | transformer ÷ Worker encoder | range |");
console.log("| --- | ---: | ---: | ---: | ---: |");
cases.forEach((c, i) => {
  const { ours, peer } = cpu[i]!;
  const ratios = ours.map((o, r) => peer[r]! / o);
  console.log(
    `| ${c.name} | ${median(ours).toFixed(1)} | ${median(peer).toFixed(1)} | ${median(ratios).toFixed(2)}x | ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} |`,
  );
});

await compare(
  "Worker protobuf encoder",
  "otlp-transformer",
  cases.map((c) => ({ name: c.name, ours: c.ours, peer: c.peer })),
  { rounds: ROUNDS },
);
console.log(`\nload average at the end: ${load()}`);
