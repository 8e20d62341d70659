import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { workspaceProjects } from "./vitest.shared";

// One project per package and runtime, built from the folders (see workspaceProjects);
// only what differs from the conventions is listed here.
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  test: {
    projects: [
      ...workspaceProjects(root, {
        // The Workers store needs Rate Limiting bindings, which its unit test project
        // does not configure; its *.workerd.test.ts files run with these, in real workerd.
        ratelimit: {
          workerdBindings: {
            ratelimits: {
              RL_5: { namespace_id: "1001", simple: { limit: 5, period: 60 } },
              RL_2: { namespace_id: "1002", simple: { limit: 2, period: 60 } },
              RL_HTTP: { namespace_id: "1003", simple: { limit: 3, period: 60 } },
            },
          },
        },
        // Its *.workerd.test.ts files run as a user's tests would, under the Workers vitest
        // integration, and need no bindings.
        worker: { workerdBindings: {} },
        // Starts the service as a child process and waits for its exit.
        "example-orders-service": { timeoutMs: 30_000 },
        // Drives headless Chromium through the site and its dashboard.
        "example-tracker-site": { timeoutMs: 60_000 },
        // Runs the example through Wrangler, which bundles it and starts workerd.
        "example-worker": { timeoutMs: 120_000 },
      }),
      // The TypeScript blocks of the READMEs and guides, against the built packages
      // (no `source` condition here).
      { root, test: { name: "docs", include: ["test/docs/**/*.test.ts"] } },
    ],
  },
});
