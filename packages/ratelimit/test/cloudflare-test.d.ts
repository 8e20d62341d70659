// Bindings configured in vitest.workerd-binding.config.ts.
declare module "cloudflare:test" {
  import type { RateLimitBinding } from "../src/workers/index";

  export const env: {
    RL_5: RateLimitBinding;
    RL_2: RateLimitBinding;
    RL_HTTP: RateLimitBinding;
  };
}
