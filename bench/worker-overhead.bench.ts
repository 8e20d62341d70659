// Per-request cost of instrumentation in real workerd: the same Worker (bench/worker/app.ts,
// a fetch handler making one outbound fetch) bare, with @groundwork/worker and with
// @microlabs/otel-cf-workers, in one Miniflare instance, requests sent over loopback. The
// instrumented Workers export every trace to a local OTLP receiver.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { startOtlpReceiver } from "@groundwork/test-harness";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { compare } from "./compare";

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`./worker/${entry}.ts`, import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["source", "workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

const upstream = createServer((_req, res) => res.end("upstream"));
await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const receiver = await startOtlpReceiver();
const bindings = {
  UPSTREAM: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`,
  OTLP: receiver.url,
};
const names = ["bare", "groundwork", "otel-cf-workers"] as const;
const workers = [];
for (const name of names) {
  workers.push({
    name,
    modules: true,
    script: await bundle(name),
    compatibilityDate: "2025-09-01",
    compatibilityFlags: ["nodejs_compat"],
    bindings,
    // The Durable Object of the app is not exercised here.
    durableObjects: { COUNTER: "Counter" },
  });
}
// Console output (the Groundwork Worker writes a START entry per request) is dropped here
// rather than printed, as Workers Logs takes it off the Worker in production.
const mf = new Miniflare({
  ...convertV4MiniflareOptions({ workers }),
  handleStructuredLogs: () => {},
});
await mf.ready;
type Fetcher = { fetch(url: string): Promise<{ text(): Promise<string> }> };
const fetchers: Record<string, Fetcher> = Object.fromEntries(
  await Promise.all(
    names.map(async (name) => [name, (await mf.getWorker(name)) as unknown as Fetcher] as const),
  ),
);
const request = (name: (typeof names)[number]) => async () => {
  const res = await fetchers[name]!.fetch("http://bench.test/");
  return res.text();
};

await compare(
  "Worker request with one outbound fetch, through Miniflare",
  "no instrumentation",
  [
    {
      name: "requests/s, @groundwork/worker vs bare",
      ours: request("groundwork"),
      peer: request("bare"),
      async: true,
    },
  ],
  { rounds: 5, timeMs: 1000 },
);
await compare(
  "Worker request with one outbound fetch, through Miniflare",
  "otel-cf-workers",
  [
    {
      name: "requests/s, @groundwork/worker vs @microlabs/otel-cf-workers",
      ours: request("groundwork"),
      peer: request("otel-cf-workers"),
      async: true,
    },
  ],
  { rounds: 5, timeMs: 1000 },
);
console.log(`\nspans received by the collector: ${receiver.traces().length}`);
await mf.dispose();
await receiver.stop();
upstream.closeAllConnections();
upstream.close();
