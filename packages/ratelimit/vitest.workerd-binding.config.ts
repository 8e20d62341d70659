import { defineProject } from "vitest/config";
import { workerdProject } from "../../vitest.shared";

// The Workers store needs Rate Limiting bindings, which the package's unit
// test project does not configure; its tests run here, in real workerd.
export default defineProject(
  workerdProject("ratelimit", {
    suffix: "workerd-binding",
    include: ["test/**/*.workerd.test.ts"],
    exclude: [],
    miniflare: {
      ratelimits: {
        RL_5: { namespace_id: "1001", simple: { limit: 5, period: 60 } },
        RL_2: { namespace_id: "1002", simple: { limit: 2, period: 60 } },
        RL_HTTP: { namespace_id: "1003", simple: { limit: 3, period: 60 } },
      },
    },
  }),
);
