export { defineMetrics } from "./define.js";
export type { MetricsErrorCode } from "./errors.js";
export { MetricsError } from "./errors.js";
export type { MetricsRequest, MetricsResponse } from "./http.js";
export { contentTypeOf, handleMetricsRequest, metricsHandler, negotiateFormat } from "./http.js";
export type {
  MetricsTemporality,
  OtlpMetricsPusher,
  OtlpMetricsPusherOptions,
  OtlpMetricsPusherStats,
} from "./otlp.js";
export { createOtlpMetricsPusher, DEFAULT_OTLP_METRICS_ENDPOINT } from "./otlp.js";
export type {
  PushgatewayClient,
  PushgatewayFetch,
  PushgatewayOptions,
  PushgatewayOutcome,
} from "./pushgateway.js";
export { createPushgatewayClient } from "./pushgateway.js";
export type {
  DefineMetricsOptions,
  ExpositionFormat,
  MetricsSettings,
  Registry,
  RegistryOptions,
  ResolvedRegistryOptions,
  ServiceNameFormat,
} from "./registry.js";
export {
  createRegistry,
  defaultRegistry,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  registryOptionsFromSettings,
} from "./registry.js";
export type {
  Collector,
  FlatSample,
  HistogramBucket,
  HistogramFamilySnapshot,
  HistogramSample,
  LabelSet,
  MetricFamilySnapshot,
  NumberFamilySnapshot,
  NumberSample,
} from "./snapshot.js";
export { findSamples, flattenSamples } from "./snapshot.js";
export type {
  CommonMetricOptions,
  CounterOptions,
  CounterSpec,
  GaugeOptions,
  GaugeSpec,
  HistogramOptions,
  HistogramSpec,
  InfoOptions,
  InfoSpec,
  LabelValue,
  LabelValues,
  MetricSpec,
} from "./spec.js";
export {
  counter,
  DEFAULT_BUCKETS,
  exponentialBuckets,
  gauge,
  histogram,
  info,
  linearBuckets,
} from "./spec.js";
export { telemetryCollector } from "./telemetry-collector";
export type {
  Counter,
  CounterSeries,
  FamilyInfo,
  FamilyOf,
  Gauge,
  GaugeSeries,
  Histogram,
  HistogramSeries,
  InfoFamily,
  LabelledCounter,
  LabelledFamily,
  LabelledGauge,
  LabelledHistogram,
  MetricGroup,
} from "./types.js";
