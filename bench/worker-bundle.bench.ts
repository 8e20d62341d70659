// Bundle size of one Worker instrumented with @groundwork/worker and with
// @microlabs/otel-cf-workers, built as Wrangler builds Workers (esbuild, ES module, workerd
// conditions), minified and gzipped. The same Worker without instrumentation is the baseline;
// the Groundwork Worker is bundled twice, sending OTLP protobuf (the default) and OTLP/JSON.
import { gzipSync } from "node:zlib";
import { bundleWorker } from "@groundwork/test-harness";

interface Size {
  minified: number;
  gzip: number;
}

async function bundle(entry: string): Promise<Size> {
  // The built packages, as a Worker depending on them from npm would bundle them.
  const code = new TextEncoder().encode(
    await bundleWorker(new URL(`./worker/${entry}.ts`, import.meta.url), {
      source: false,
      minify: true,
    }),
  );
  return { minified: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const gz = (size: Size) => `${kb(size.gzip)} (${size.gzip} B)`;

const bare = await bundle("bare");
const ours = await bundle("groundwork");
const oursJson = await bundle("groundwork-json");
const peer = await bundle("otel-cf-workers");
const rows: [string, Size][] = [
  ["no instrumentation", bare],
  ["@groundwork/worker", ours],
  ["@groundwork/worker, OTLP/JSON (`@groundwork/worker/otlp-json`)", oursJson],
  ["@microlabs/otel-cf-workers", peer],
];
console.log("\nWorker bundle size (esbuild, minified; gzip level 9)\n");
console.log("| Worker | minified | gzip | gzip added |");
console.log("| --- | ---: | ---: | ---: |");
for (const [name, size] of rows) {
  console.log(`| ${name} | ${kb(size.minified)} | ${gz(size)} | ${kb(size.gzip - bare.gzip)} |`);
}
console.log(
  `\nratio (otel-cf-workers ÷ groundwork, gzip): ${(peer.gzip / ours.gzip).toFixed(2)}x; ` +
    "above 1 means the Groundwork Worker is smaller",
);
