// The per-request path of the HTTP servers without the network: each
// server's `request` event is emitted with a real IncomingMessage and
// ServerResponse over a socket stand-in whose writes complete at once, so
// no system call, parser or client is measured, only what the server code
// does with a request. Every case runs in a process of its own (an active
// context manager turns on Node's async hooks for the whole process), the
// cases alternate in every round, and the figure is the process's CPU time
// per request: median over the rounds, with the range.
//
//   pnpm build && node --import tsx bench/node-http-request.bench.ts
//
// Environment: BENCH_ROUNDS (default 7), BENCH_REQUESTS per case and round
// (default 40 000). BENCH_COUNT_ENTRIES=1 prints, instead of CPU time, the
// context entries (`AsyncLocalStorage.run` calls) per request of each server.
import { AsyncLocalStorage } from "node:async_hooks";
import { execFileSync } from "node:child_process";
import { createServer, IncomingMessage, type Server, ServerResponse } from "node:http";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createTelemetry, lineSink } from "@groundwork/core";
import { createRegistry } from "@groundwork/metrics";
import { instrumentServer, serve } from "@groundwork/node";
import { median } from "./compare";
import { bareListener, handler, noopExporter, otelInstrumentedHttp } from "./node-http-app";

const CASES: { kind: string; label: string }[] = [
  { kind: "bare", label: "bare node:http listener" },
  { kind: "instrument", label: "instrumentServer(), 10% sampled" },
  { kind: "instrument-quiet", label: "instrumentServer(), 10%, no access log, no metrics" },
  { kind: "hono-plain", label: "@hono/node-server, `overrideGlobalObjects: false`" },
  { kind: "serve", label: "serve(), 10% sampled" },
  { kind: "serve-quiet", label: "serve(), 10%, no access log, no metrics" },
  { kind: "otel", label: "@opentelemetry/instrumentation-http, 10% sampled" },
];

function telemetryOptions(quiet: boolean) {
  return {
    telemetry: createTelemetry({
      serviceName: "bench",
      logging: { sink: lineSink(() => {}) },
      tracing: { samplingRatio: 0.1, exporter: noopExporter },
    }),
    metrics: quiet ? (false as const) : createRegistry({ serviceName: "bench" }),
    accessLog: !quiet,
  };
}

async function serverFor(kind: string): Promise<Server> {
  switch (kind) {
    case "bare":
      return createServer(bareListener);
    case "instrument":
    case "instrument-quiet":
      return instrumentServer(
        createServer(bareListener),
        telemetryOptions(kind === "instrument-quiet"),
      );
    case "hono-plain": {
      const { createAdaptorServer } = await import("@hono/node-server");
      return createAdaptorServer({ fetch: handler, overrideGlobalObjects: false }) as Server;
    }
    case "serve":
    case "serve-quiet": {
      const running = await serve(handler, telemetryOptions(kind === "serve-quiet"));
      return running.server;
    }
    case "otel":
      return (await otelInstrumentedHttp()).createServer(bareListener);
    default:
      throw new Error(`unknown case ${kind}`);
  }
}

/** A socket whose writes complete at once. */
class NullSocket extends Writable {
  remoteAddress = "127.0.0.1";
  localAddress = "127.0.0.1";
  localPort = 8080;
  setTimeout(): this {
    return this;
  }
  override _write(_chunk: unknown, _encoding: unknown, done: () => void): void {
    done();
  }
  override _writev(_chunks: unknown, done: () => void): void {
    done();
  }
}

/** One GET, as node:http's server hands it over; resolves when the response closed. */
function request(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const socket = new NullSocket();
    const req = new IncomingMessage(socket as never);
    req.method = "GET";
    req.url = "/hello";
    req.httpVersion = "1.1";
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.headers = { host: "127.0.0.1:8080", "user-agent": "bench" };
    req.rawHeaders = ["Host", "127.0.0.1:8080", "User-Agent", "bench"];
    req.complete = true;
    req.push(null);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = true;
    res.assignSocket(socket as never);
    // What node:http does when a response finishes.
    res.on("finish", () => {
      res.detachSocket(socket as never);
      req.resume();
      process.nextTick(() => {
        res.emit("close");
        resolve();
      });
    });
    server.emit("request", req, res);
  });
}

async function drive(server: Server, n: number): Promise<void> {
  const inFlight = 64;
  for (let i = 0; i < n; i += inFlight) {
    await Promise.all(Array.from({ length: inFlight }, () => request(server)));
  }
}

/** Counts `AsyncLocalStorage.prototype.run` calls: the context entries of every server. */
function countEntries(): () => number {
  let entries = 0;
  const run = AsyncLocalStorage.prototype.run;
  AsyncLocalStorage.prototype.run = function (
    this: AsyncLocalStorage<unknown>,
    ...args: Parameters<typeof run>
  ) {
    entries++;
    return run.apply(this, args);
  } as typeof run;
  return () => entries;
}

async function child(kind: string, n: number): Promise<void> {
  const entries = process.env.BENCH_COUNT_ENTRIES === "1" ? countEntries() : undefined;
  const server = await serverFor(kind);
  await drive(server, n / 4);
  const before = process.cpuUsage();
  const entered = entries?.() ?? 0;
  await drive(server, n);
  const used = process.cpuUsage(before);
  if (entries !== undefined) {
    // Counting costs time: the entries per request, instead of the CPU time.
    process.stdout.write(`${(entries() - entered) / n}\n`);
  } else {
    process.stdout.write(`${(used.user + used.system) / n}\n`);
  }
  process.exit(0);
}

async function main(): Promise<void> {
  const rounds = Math.max(7, Number(process.env.BENCH_ROUNDS ?? 7));
  const requests = Number(process.env.BENCH_REQUESTS ?? 40_000);
  const self = fileURLToPath(import.meta.url);
  const samples = new Map<string, number[]>(CASES.map((c) => [c.kind, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? CASES : [...CASES].reverse();
    for (const c of order) {
      const out = execFileSync(
        process.execPath,
        ["--import", "tsx", self, "--child", c.kind, String(requests)],
        { encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } },
      );
      samples.get(c.kind)?.push(Number(out.trim()));
    }
  }
  console.log(
    `\n## HTTP per-request path, no network — Node ${process.version}, ${requests} requests × ${rounds} rounds\n`,
  );
  const unit =
    process.env.BENCH_COUNT_ENTRIES === "1" ? "context entries/request" : "CPU µs/request";
  console.log(`| server | ${unit} (median) | range | over bare, per round (median) |`);
  console.log("| --- | ---: | ---: | ---: |");
  const bare = samples.get("bare") ?? [];
  for (const c of CASES) {
    const xs = samples.get(c.kind) ?? [];
    const over = xs.map((x, i) => x - (bare[i] ?? Number.NaN));
    console.log(
      `| ${c.label} | ${median(xs).toFixed(1)} | ${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)} | ${median(over).toFixed(1)} |`,
    );
  }
}

if (process.argv[2] === "--child") {
  await child(process.argv[3] ?? "bare", Number(process.argv[4] ?? 40_000));
} else {
  await main();
}
