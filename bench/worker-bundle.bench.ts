// Bundle size of one Worker instrumented with @groundwork/worker and with
// @microlabs/otel-cf-workers, built as Wrangler builds Workers (esbuild, ES module, workerd
// conditions), minified and gzipped. The same Worker without instrumentation is the baseline.
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

interface Size {
  minified: number;
  gzip: number;
}

async function bundle(entry: string): Promise<Size> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`./worker/${entry}.ts`, import.meta.url))],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // Workspace packages from their sources, as in the other benchmarks.
    conditions: ["source", "workerd", "worker", "browser"],
    // Provided by the runtime (otel-cf-workers imports node:async_hooks and node:events).
    external: ["cloudflare:*", "node:*"],
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { minified: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

const bare = await bundle("bare");
const ours = await bundle("groundwork");
const peer = await bundle("otel-cf-workers");
const rows: [string, Size][] = [
  ["no instrumentation", bare],
  ["@groundwork/worker", ours],
  ["@microlabs/otel-cf-workers", peer],
];
console.log("\nWorker bundle size (esbuild, minified; gzip level 9)\n");
console.log("| Worker | minified | gzip | gzip added |");
console.log("| --- | ---: | ---: | ---: |");
for (const [name, size] of rows) {
  console.log(
    `| ${name} | ${kb(size.minified)} | ${kb(size.gzip)} | ${kb(size.gzip - bare.gzip)} |`,
  );
}
console.log(
  `\nratio (otel-cf-workers ÷ groundwork, gzip): ${(peer.gzip / ours.gzip).toFixed(2)}x; ` +
    "above 1 means the Groundwork Worker is smaller",
);
