import { LOG_LEVELS, type LogLevel, type TelemetryStats } from "@groundwork/core";
import { MetricsError } from "./errors";
import type { Collector, MetricFamilySnapshot, NumberSample } from "./snapshot";

function perLevel(counts: Readonly<Record<LogLevel, number>>): NumberSample[] {
  return LOG_LEVELS.map((level) => ({ labels: { level }, value: counts[level] }));
}

function counter(name: string, help: string, value: number): MetricFamilySnapshot {
  return { name, help, type: "counter", samples: [{ labels: {}, value }] };
}

/**
 * Creates a collector exposing a telemetry instance's own counters — log volume per
 * level, records dropped by rate limits, sink errors, and span export
 * outcomes — so a service can alert on telemetry it is losing.
 *
 * Families (before the registry's service prefix): `log_events_total{level}`,
 * `log_events_dropped_total{level}`, `log_sink_errors_total`, `log_invalid_input_total`, `log_oversized_total`, and with a trace
 * exporter `trace_spans_exported_total`, `trace_spans_rejected_total`,
 * `trace_spans_dropped_total`, `trace_spans_failed_total`,
 * `trace_export_queue_length`.
 *
 * @param telemetry - anything with `stats()`, e.g. the result of `createTelemetry`.
 * @returns a collector for `registry.registerCollector`.
 * @throws MetricsError `ERR_INVALID_OPTION` when `telemetry` has no `stats()` method.
 * @example
 * ```ts
 * const telemetry = createTelemetry({ serviceName: "api" });
 * defaultRegistry.registerCollector(createTelemetryCollector(telemetry));
 * ```
 */
export function createTelemetryCollector(telemetry: { stats(): TelemetryStats }): Collector {
  if (typeof telemetry?.stats !== "function") {
    throw new MetricsError(
      "ERR_INVALID_OPTION",
      "createTelemetryCollector needs an object with a stats() method, e.g. from createTelemetry()",
    );
  }
  return () => {
    const { logs, spans } = telemetry.stats();
    const families: MetricFamilySnapshot[] = [
      {
        name: "log_events",
        help: "Log records written, by level.",
        type: "counter",
        samples: perLevel(logs.emitted),
      },
      {
        name: "log_events_dropped",
        help: "Log records dropped by a rate limit (per call site or global), by level.",
        type: "counter",
        samples: perLevel(logs.dropped),
      },
      counter("log_sink_errors", "Log records lost because the sink failed.", logs.sinkErrors),
      counter(
        "log_invalid_input",
        "Log and span arguments replaced or dropped because they could not be read.",
        logs.invalidInput,
      ),
      counter(
        "log_oversized",
        "Log records over the line size limit, written with their largest fields cut.",
        logs.oversized,
      ),
    ];
    if (spans !== undefined) {
      families.push(
        counter("trace_spans_exported", "Spans the exporter delivered.", spans.exported),
        counter(
          "trace_spans_rejected",
          "Spans the OTLP endpoint refused in a partial-success response.",
          spans.rejected,
        ),
        counter(
          "trace_spans_dropped",
          "Spans dropped because the export queue was full.",
          spans.dropped,
        ),
        counter("trace_spans_failed", "Spans in batches the exporter gave up on.", spans.failed),
        {
          name: "trace_export_queue_length",
          help: "Spans waiting in the export queue.",
          type: "gauge",
          samples: [{ labels: {}, value: spans.queueLength }],
        },
      );
    }
    return families;
  };
}
