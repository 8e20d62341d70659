import { defineProject } from "vitest/config";
import { sourceConditions } from "../../vitest.shared";

export default defineProject({
  ...sourceConditions,
  test: {
    name: "ratelimit",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Need Rate Limiting bindings: run by vitest.workerd-binding.config.ts.
    exclude: ["test/**/*.workerd.test.ts"],
  },
});
