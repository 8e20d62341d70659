// The Groundwork Worker with tracing, metrics and logging off: what is left is the
// invocation itself, its START entry and the identity stream that follows the body. For the
// overhead benchmark's WORKERS.
import { instrument } from "@groundwork/worker";
import { type Env, handler } from "./app";

export { Counter } from "./app";

export default instrument(handler, (_env: Env) => ({
  serviceName: "bench",
  metrics: false,
  tracing: { enabled: false },
  logging: { level: "off" },
}));
