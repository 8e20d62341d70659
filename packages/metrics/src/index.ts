export { defineMetrics } from "./define";
export type { MetricsErrorCode } from "./errors";
export { MetricsError } from "./errors";
export type { MetricsRequest, MetricsResponse, RuntimeResponse } from "./http";
export { contentTypeOf, handleMetricsRequest, metricsHandler, negotiateFormat } from "./http";
export type {
  MetricsTemporality,
  OtlpMetricsPusher,
  OtlpMetricsPusherOptions,
  OtlpMetricsPusherStats,
} from "./otlp";
export { createOtlpMetricsPusher, DEFAULT_OTLP_METRICS_ENDPOINT } from "./otlp";
export type {
  PushgatewayClient,
  PushgatewayFetch,
  PushgatewayOptions,
  PushgatewayOutcome,
} from "./pushgateway";
export { createPushgatewayClient } from "./pushgateway";
export type {
  DefineMetricsOptions,
  ExpositionFormat,
  MetricsSettings,
  Registry,
  RegistryOptions,
  ResolvedRegistryOptions,
  ServiceNameFormat,
} from "./registry";
export {
  createRegistry,
  defaultRegistry,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  registryOptionsFromSettings,
} from "./registry";
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
} from "./snapshot";
export { findSamples, flattenSamples } from "./snapshot";
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
} from "./spec";
export {
  counter,
  DEFAULT_BUCKETS,
  exponentialBuckets,
  gauge,
  histogram,
  info,
  linearBuckets,
} from "./spec";
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
} from "./types";
