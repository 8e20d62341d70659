// The OTLP receiver of the OTLP load benchmark, in a process of its own so that decoding
// what arrives does not compete with the app's event loop. Driven over the IPC channel:
// the parent sends { id, command, status? } and gets back { id, ... }.
//
// By default a lean collector: every request body is decoded as an ExportTraceServiceRequest
// with protobufjs from the official opentelemetry-proto definitions vendored in
// @groundwork/test-harness (a body that does not decode is answered 400 and counted), its
// spans are counted, and nothing is kept. BENCH_RECEIVER=harness uses the test harness's
// receiver instead, which also flattens every span into objects and keeps them all for
// assertions: several times the work per span of a collector that passes spans on.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { startOtlpReceiver } from "@groundwork/test-harness";

type Command =
  | { id: number; command: "counts" }
  | { id: number; command: "reset" }
  | { id: number; command: "respondWith"; status: number }
  | { id: number; command: "stop" };

interface Collector {
  endpoint: string;
  counts(): { spans: number; requests: number; undecoded: number };
  reset(): void;
  respondWith(status: number): void;
  stop(): Promise<void>;
}

interface ProtoType {
  decode(bytes: Uint8Array): unknown;
}

interface DecodedRequest {
  resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
}

async function startLeanCollector(): Promise<Collector> {
  const harness = new URL("../packages/test-harness/", import.meta.url);
  const protobuf = createRequire(new URL("package.json", harness))("protobufjs") as {
    Root: new () => {
      resolvePath: (origin: string, target: string) => string;
      loadSync(files: string[]): void;
      resolveAll(): void;
      lookupType(name: string): ProtoType;
    };
  };
  const protoDir = fileURLToPath(new URL("proto/", harness));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => `${protoDir}${target}`;
  root.loadSync(["opentelemetry/proto/collector/trace/v1/trace_service.proto"]);
  root.resolveAll();
  const Request = root.lookupType(
    "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
  );

  let spans = 0;
  let requests = 0;
  let undecoded = 0;
  let status = 200;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests++;
    let answer = status;
    try {
      const decoded = Request.decode(Buffer.concat(chunks)) as DecodedRequest;
      if (answer >= 200 && answer < 300) {
        for (const rs of decoded.resourceSpans ?? []) {
          for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
        }
      }
    } catch {
      undecoded++;
      answer = 400;
    }
    res.writeHead(answer, { "content-type": "application/x-protobuf" });
    res.end();
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    counts: () => ({ spans, requests, undecoded }),
    reset() {
      spans = 0;
      requests = 0;
      undecoded = 0;
      status = 200;
    },
    respondWith(next) {
      status = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startHarnessCollector(): Promise<Collector> {
  const receiver = await startOtlpReceiver();
  return {
    endpoint: receiver.endpoint("traces"),
    counts() {
      const all = receiver.requests();
      return {
        spans: receiver.traces().length,
        requests: all.length,
        undecoded: all.filter((r) => r.decodeError !== undefined).length,
      };
    },
    reset: () => receiver.reset(),
    respondWith: (status) => receiver.respondWith(status),
    stop: () => receiver.stop(),
  };
}

const collector =
  process.env.BENCH_RECEIVER === "harness"
    ? await startHarnessCollector()
    : await startLeanCollector();
const reply = (message: object): void => {
  process.send?.(message);
};

process.on("message", async (message: Command) => {
  switch (message.command) {
    case "counts":
      reply({ id: message.id, ...collector.counts() });
      return;
    case "reset":
      collector.reset();
      reply({ id: message.id });
      return;
    case "respondWith":
      collector.respondWith(message.status);
      reply({ id: message.id });
      return;
    case "stop":
      await collector.stop();
      reply({ id: message.id });
      process.disconnect?.();
      return;
  }
});
reply({ id: 0, endpoint: collector.endpoint });
