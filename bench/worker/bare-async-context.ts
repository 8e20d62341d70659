// The bare Worker running its handler inside `AsyncLocalStorage.run`, as each instrumented
// invocation runs in its own context: that cost by itself. For the overhead benchmark's
// WORKERS.
import { AsyncLocalStorage } from "node:async_hooks";
import { type Env, handler } from "./app";

export { Counter } from "./app";

const storage = new AsyncLocalStorage<object>();

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    return storage.run({ request }, () => handler.fetch(request, env));
  },
};
