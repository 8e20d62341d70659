// The Groundwork Worker with no collector: spans, metrics and logs are made, nothing is
// exported. For the overhead benchmark's WORKERS.
import { instrument } from "@groundwork/worker";
import { type Env, handler } from "./app";

export { Counter } from "./app";

export default instrument(handler, (_env: Env) => ({ serviceName: "bench" }));
