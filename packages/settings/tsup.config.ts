import { defineConfig } from "tsup";

export default defineConfig([
  {
    // Runtime-neutral core: Node, workerd and browsers.
    entry: { index: "src/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "es2022",
    platform: "neutral",
    external: ["yaml", "zod"],
  },
  {
    // File loading and the CLI, for Node only (`@groundwork/settings/node`, `groundwork-settings`).
    entry: { "node/index": "src/node/index.ts", "node/bin": "src/node/bin.ts" },
    format: ["esm", "cjs"],
    dts: { entry: { "node/index": "src/node/index.ts" } },
    tsconfig: "tsconfig.node.json",
    sourcemap: true,
    target: "es2022",
    platform: "node",
    external: ["yaml", "zod", "@groundwork/settings"],
  },
]);
