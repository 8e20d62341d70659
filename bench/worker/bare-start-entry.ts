// The bare Worker writing one object shaped like the Groundwork Worker's `START` entry to the
// console per request: what the meta entry the issue asks for costs by itself. For the
// overhead benchmark's WORKERS.
import { type Env, handler } from "./app";

export { Counter } from "./app";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const started = performance.now();
    const response = await handler.fetch(request, env);
    console.log({
      time: new Date().toISOString(),
      level: "info",
      msg: "START",
      type: "meta",
      api: "bench",
      resource: "/",
      method: request.method,
      status: String(response.status),
      outcome: "ok",
      duration_ms: performance.now() - started,
      logs: 0,
      trace_id: "0af7651916cd43dd8448eb211c80319c",
      span_id: "b7ad6b7169203331",
      service: "bench",
    });
    return response;
  },
};
