// The bare Worker writing one object shaped like the Groundwork Worker's `START` entry to the
// console per request: what the per-invocation meta entry costs by itself. For the
// overhead benchmark's WORKERS.
import { type Env, handler } from "./app";
import { startEntry } from "./start-entry";

export { Counter } from "./app";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const started = performance.now();
    const response = await handler.fetch(request, env);
    console.log(startEntry(request.method, String(response.status), performance.now() - started));
    return response;
  },
};
