import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    // Runtime-neutral core: Node, workerd and browsers.
    index: "src/index.ts",
    // File loading and the CLI, for Node only (`@groundwork/settings/node`, `groundwork-settings`).
    "node/index": "src/node/index.ts",
    "node/bin": "src/node/bin.ts",
  },
  format: ["esm", "cjs"],
  dts: { entry: { index: "src/index.ts", "node/index": "src/node/index.ts" } },
  // The Node entry needs @types/node; the core's own tsconfig keeps them out of src.
  tsconfig: "tsconfig.node.json",
  clean: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
  // The Node entry imports the core by package name so both share one copy (one SettingsError class).
  external: ["yaml", "zod", "@groundwork/settings", /^node:/],
  removeNodeProtocol: false,
});
