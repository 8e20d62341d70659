import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "otlp/index": "src/otlp/index.ts",
    "propagation/index": "src/propagation/index.ts",
    "tracing/index": "src/tracing/index.ts",
    "context/index": "src/context/index.ts",
    "node/index": "src/node/index.ts",
  },
  format: ["esm", "cjs"],
  // The entries share modules (the context manager, the default log, the tracer
  // registry): split them into shared chunks so that each exists once per format.
  splitting: true,
  // The ./node entry needs Node's typings; the other entries' sources never reference them.
  dts: { compilerOptions: { types: ["node"] } },
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
  // Only the `./node` entry uses Node built-ins; the others must not.
  external: [/^node:/],
});
