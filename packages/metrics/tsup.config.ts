import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    // OTLP push and the Pushgateway client (`@groundwork/metrics/otlp`, `/pushgateway`).
    otlp: "src/otlp.ts",
    // The OTLP pusher alone, without the registry (`@groundwork/metrics/otlp-push`).
    "otlp-push": "src/otlp-push.ts",
    // The OTLP/JSON encoding alone, without the registry (`@groundwork/metrics/otlp-json`).
    "otlp-json": "src/otlp-json.ts",
    pushgateway: "src/pushgateway.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
  // The subpath entries import the root by package name so every entry shares one copy
  // (one MetricsError class, one defaultRegistry). `otlp-push` and `otlp-json` must not load
  // the root, so `otlp-push` imports MetricsError by path: splitting (in CommonJS too) puts
  // it in a chunk that the root shares.
  external: ["@groundwork/metrics"],
  splitting: true,
});
