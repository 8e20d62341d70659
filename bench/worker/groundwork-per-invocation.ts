// The Groundwork Worker exporting at the end of every invocation (exportDelayMs: 0, as
// before decision 0010), for `WORKERS=bare,groundwork,groundwork-per-invocation`.
import { instrument, instrumentDO } from "@groundwork/worker";
import { Counter as CounterBase, type Env, handler } from "./app";

const config = (env: Env & { OTLP: string }) => ({
  serviceName: "bench",
  otlp: { endpoint: env.OTLP },
  exportDelayMs: 0,
});

export default instrument(handler, config);
export const Counter = instrumentDO(CounterBase, config);
