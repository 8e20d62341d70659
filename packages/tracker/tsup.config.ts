import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts", "src/mmdb.ts"],
    format: ["esm", "cjs"],
    dts: true,
    // Three builds write to dist/ side by side: none cleans it, so none removes another's files.
    clean: false,
    sourcemap: true,
    target: "es2022",
    platform: "neutral",
  },
  {
    // The browser client compiles with DOM types, which the server part must not see.
    entry: ["src/client.ts"],
    format: ["esm", "cjs"],
    dts: { compilerOptions: { lib: ["ES2022", "DOM"] } },
    tsconfig: "tsconfig.client.json",
    sourcemap: true,
    target: "es2020",
    platform: "browser",
  },
  {
    // The drop-in <script>: one minified IIFE, dist/tracker.min.js.
    entry: { "tracker.min": "src/script.ts" },
    format: ["iife"],
    tsconfig: "tsconfig.client.json",
    minify: true,
    target: "es2020",
    platform: "browser",
    outExtension: () => ({ js: ".js" }),
  },
]);
