import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/redis/index.ts", "src/workers/index.ts", "src/http/index.ts"],
  format: ["esm", "cjs"],
  // Shared chunks in both formats: the subpaths must throw the root's
  // RateLimitError class, not a copy of it, or `instanceof` fails in CommonJS.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
});
