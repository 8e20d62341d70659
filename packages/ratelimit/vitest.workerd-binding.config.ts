import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { sourceConditions } from "../../vitest.shared";

// The Workers store needs Rate Limiting bindings, which the shared workerd
// project does not configure; its tests run here, in real workerd.
export default defineProject({
  ...sourceConditions,
  plugins: [
    cloudflareTest({
      miniflare: {
        compatibilityDate: "2025-09-01",
        compatibilityFlags: ["nodejs_compat"],
        ratelimits: {
          RL_5: { namespace_id: "1001", simple: { limit: 5, period: 60 } },
          RL_2: { namespace_id: "1002", simple: { limit: 2, period: 60 } },
          RL_HTTP: { namespace_id: "1003", simple: { limit: 3, period: 60 } },
        },
      },
    }),
  ],
  test: {
    name: "ratelimit:workerd-binding",
    include: ["test/**/*.workerd.test.ts"],
  },
});
