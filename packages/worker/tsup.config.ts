import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/otlp-logs.ts", "src/otlp-json.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
});
