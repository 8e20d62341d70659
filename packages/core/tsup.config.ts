import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/node/index.ts"],
  format: ["esm", "cjs"],
  // The ./node entry needs Node's typings; the main entry's sources never reference them.
  dts: { compilerOptions: { types: ["node"] } },
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
  // Only the `./node` entry uses Node built-ins; the main entry must not.
  external: [/^node:/],
});
