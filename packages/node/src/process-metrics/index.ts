export type { ProcessMetrics, ProcessMetricsOptions } from "./process-metrics";
export { createProcessMetrics } from "./process-metrics";
