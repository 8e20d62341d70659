// The Groundwork Worker of groundwork.ts, sending OTLP/JSON: the JSON encoders of
// `@groundwork/worker/otlp-json` instead of the protobuf ones.
import { instrument, instrumentDO } from "@groundwork/worker";
import { otlpJson } from "@groundwork/worker/otlp-json";
import { Counter as CounterBase, type Env, handler } from "./app";

const config = (env: Env & { OTLP: string }) => ({
  serviceName: "bench",
  otlp: { endpoint: env.OTLP, protocol: "http/json" as const },
  otlpJson,
});

export default instrument(handler, config);
export const Counter = instrumentDO(CounterBase, config);
