// The parts of the Workers vitest integration's `cloudflare:test` module these tests use.
declare module "cloudflare:test" {
  import type { ExecutionContextLike } from "../src/index";

  export const env: Record<string, unknown>;
  export function createExecutionContext(): ExecutionContextLike;
  export function waitOnExecutionContext(ctx: ExecutionContextLike): Promise<void>;
}
