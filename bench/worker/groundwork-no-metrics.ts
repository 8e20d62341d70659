// The Groundwork Worker without request metrics, for the overhead benchmark's WORKERS.
import { instrument } from "@groundwork/worker";
import { type Env, handler } from "./app";

export { Counter } from "./app";

export default instrument(handler, (env: Env & { OTLP: string }) => ({
  serviceName: "bench",
  otlp: { endpoint: env.OTLP },
  metrics: false,
}));
