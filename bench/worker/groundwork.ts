import { instrument, instrumentDO } from "@groundwork/worker";
import { Counter as CounterBase, type Env, handler } from "./app";

const config = (env: Env & { OTLP: string }) => ({
  serviceName: "bench",
  otlp: { endpoint: env.OTLP },
});

export default instrument(handler, config);
export const Counter = instrumentDO(CounterBase, config);
