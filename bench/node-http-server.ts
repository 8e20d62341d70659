// One server of the node-http benchmark, started by node-http.bench.ts in a
// process of its own, without the `source` condition: @groundwork/* resolve
// to their built dist/ files, as in an app. Prints "listening <port>".
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createTelemetry, lineSink } from "@groundwork/core";
import { createRegistry } from "@groundwork/metrics";
import { instrumentServer, serve } from "@groundwork/node";
import { bareListener, handler, noopExporter, otelInstrumentedHttp } from "./node-http-app";

const kind = process.argv[2] ?? "";

function telemetry(samplingRatio: number) {
  return createTelemetry({
    serviceName: "bench",
    // Access log lines are formatted as JSON, then dropped: a null sink.
    logging: { sink: lineSink(() => {}) },
    tracing: { samplingRatio, exporter: noopExporter },
  });
}

async function listen(server: import("node:http").Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function start(): Promise<number> {
  switch (kind) {
    case "bare":
      return listen(createServer(bareListener));
    case "hono": {
      const { createAdaptorServer } = await import("@hono/node-server");
      return listen(createAdaptorServer({ fetch: handler }) as import("node:http").Server);
    }
    case "hono-plain": {
      // Without replacing the global Request and Response with its own classes.
      const { createAdaptorServer } = await import("@hono/node-server");
      return listen(
        createAdaptorServer({
          fetch: handler,
          overrideGlobalObjects: false,
        }) as import("node:http").Server,
      );
    }
    case "serve-10":
    case "serve-100": {
      const server = await serve(handler, {
        telemetry: telemetry(kind === "serve-10" ? 0.1 : 1),
        metrics: createRegistry({ serviceName: "bench" }),
      });
      return server.port;
    }
    case "instrument-10":
      return listen(
        instrumentServer(createServer(bareListener), {
          telemetry: telemetry(0.1),
          metrics: createRegistry({ serviceName: "bench" }),
        }),
      );
    case "otel-10":
      return listen((await otelInstrumentedHttp()).createServer(bareListener));
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

const port = await start();
process.stdout.write(`listening ${port}\n`);

// "cpu" on stdin → the CPU time this process has used so far, in µs, so the
// bench can report CPU per request: on a machine shared with other work it
// varies far less than requests per second.
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text: string) => {
  if (text.includes("cpu")) {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`cpu ${user + system}\n`);
  }
});
// Exit on SIGTERM through process.exit, so `--cpu-prof` can write its profile.
process.once("SIGTERM", () => process.exit(0));
