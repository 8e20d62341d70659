// The part of the runtime module `cloudflare:workers` this example and the test fixtures of
// @groundwork/worker use (bundled with it left external and run in workerd, which provides
// it). A Worker of your own gets the full types from `wrangler types`.
declare module "cloudflare:workers" {
  interface DurableObjectStorage {
    get<T>(key: string): Promise<T | undefined>;
    put(key: string, value: unknown): Promise<void>;
  }
  interface DurableObjectState {
    readonly storage: DurableObjectStorage;
    waitUntil(promise: Promise<unknown>): void;
  }
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }
  export abstract class WorkerEntrypoint<Env = unknown> {
    protected ctx: { waitUntil(promise: Promise<unknown>): void };
    protected env: Env;
    constructor(ctx: { waitUntil(promise: Promise<unknown>): void }, env: Env);
  }
}
