import { instrument, instrumentDO } from "@microlabs/otel-cf-workers";
import { Counter as CounterBase, type Env, handler } from "./app";

const config = (env: Env & { OTLP: string }) => ({
  exporter: { url: `${env.OTLP}/v1/traces` },
  service: { name: "bench" },
});

export default instrument(handler as never, config as never);
export const Counter = instrumentDO(CounterBase as never, config as never);
