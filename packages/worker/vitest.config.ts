import { defineProject } from "vitest/config";
import { sourceConditions } from "../../vitest.shared";

export default defineProject({
  ...sourceConditions,
  test: {
    name: "worker",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
