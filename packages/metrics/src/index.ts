export { defineMetrics } from "./define";
export type { MetricsErrorCode } from "./errors";
export { MetricsError } from "./errors";
export type { ExpositionFormat } from "./format";
export {
  contentTypeOf,
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from "./format";
export type { MetricsRequest, MetricsResponse, RuntimeResponse } from "./http";
export { handleMetricsRequest } from "./http";
export type {
  DefineMetricsOptions,
  Registry,
  RegistryOptions,
  ResolvedRegistryOptions,
  ServiceNameFormat,
} from "./registry";
export { createRegistry, defaultRegistry } from "./registry";
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
export { createTelemetryCollector } from "./telemetry-collector";
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
