export type {
  OtlpAttributes,
  OtlpReceiver,
  OtlpSignal,
  OtlpValue,
  ReceivedLogRecord,
  ReceivedMetricPoint,
  ReceivedRequest,
  ReceivedScope,
  ReceivedSpan,
  ReceivedSpanEvent,
  ReceivedSpanLink,
  ResponseScript,
  ScriptedResponse,
} from "./otlp-receiver";
export { startOtlpReceiver } from "./otlp-receiver";
export { freePort } from "./ports";
export type { CapturedProcess } from "./processes";
export { killCapturedProcesses, spawnCaptured } from "./processes";
export type {
  PrometheusServer,
  PromSample,
  PromTarget,
  PromtoolVerdict,
  PushgatewayGroup,
  PushgatewayServer,
  StartPrometheusOptions,
} from "./prometheus";
export { checkMetrics, startPrometheus, startPushgateway } from "./prometheus";
export type { RedisServer, StartRedisOptions } from "./redis";
export { startRedis } from "./redis";
export type { RedisCluster, StartRedisClusterOptions } from "./redis-cluster";
export { startRedisCluster } from "./redis-cluster";
export { useOtlpReceiver } from "./use-otlp-receiver";
export type { BundleWorkerOptions } from "./worker-bundle";
export { bundledModules, bundleWorker } from "./worker-bundle";
