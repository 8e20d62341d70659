import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      "packages/*/vitest.config.ts",
      "packages/*/vitest.workerd.config.ts",
      "packages/ratelimit/vitest.workerd-binding.config.ts",
      "examples/*/vitest.config.ts",
    ],
  },
});
