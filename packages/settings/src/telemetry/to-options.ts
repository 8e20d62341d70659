import {
  consoleSink,
  type LogSink,
  lineSink,
  type TelemetryOptions,
  type TelemetryTracingOptions,
} from "@groundwork/core";
import type { LoggingSettings, TelemetrySettings } from "./telemetry-settings";

/** Where log lines go, as `logging.output` says. */
export type LogOutput = LoggingSettings["output"];

/** Service identity and runtime hooks for {@link telemetryOptionsFromSettings}. */
export interface TelemetryOptionsContext {
  /** `service.name`. */
  serviceName: string;
  /** `service.version`. Default: not set. */
  serviceVersion?: string;
  /**
   * Builds the sink for `logging.output`. The default handles `console`
   * (and `terminal`/`stderr` through the console); `{ file }` needs a
   * runtime with files — `@groundwork/settings/node` passes Node sinks.
   */
  sinkFor?: (output: LogOutput) => LogSink;
}

/** Thrown when `logging.output` names an output the runtime cannot provide. */
export class UnsupportedLogOutputError extends Error {
  /** Stable error code. */
  readonly code = "ERR_UNSUPPORTED_LOG_OUTPUT";
  constructor(output: LogOutput) {
    super(
      `logging.output ${JSON.stringify(output)} needs a runtime with files: use telemetryOptionsFromSettings from @groundwork/settings/node`,
    );
    this.name = "UnsupportedLogOutputError";
  }
}

const consoleErrorSink = (): LogSink => {
  const runtime = globalThis as unknown as { console: { error(line: string): void } };
  return lineSink((line) => runtime.console.error(line));
};

function defaultSinkFor(output: LogOutput): LogSink {
  if (output === "console" || output === "terminal") return consoleSink();
  if (output === "stderr") return consoleErrorSink();
  throw new UnsupportedLogOutputError(output);
}

/**
 * Maps the SDK's `telemetry:` settings (snake_case, as in the YAML) onto the
 * options of `createTelemetry` from `@groundwork/core` — the one place where
 * settings keys meet option names.
 *
 * @param settings - validated telemetry settings.
 * @param context - service name/version, and how to build the log sink.
 * @returns options for `createTelemetry`.
 * @throws UnsupportedLogOutputError for `{ file }` output without a file-capable `sinkFor`.
 * @example
 * ```ts
 * import { createTelemetry } from "@groundwork/core";
 * const settings = Settings.parse(yamlText);
 * const telemetry = createTelemetry(
 *   telemetryOptionsFromSettings(settings.telemetry, { serviceName: "api", serviceVersion: "1.2.0" }),
 * );
 * ```
 */
export function telemetryOptionsFromSettings(
  settings: TelemetrySettings,
  context: TelemetryOptionsContext,
): TelemetryOptions {
  const { logging, tracing } = settings;
  const sink = (context.sinkFor ?? defaultSinkFor)(logging.output);
  const options: TelemetryOptions = {
    serviceName: context.serviceName,
    ...(context.serviceVersion === undefined ? {} : { serviceVersion: context.serviceVersion }),
    logging: {
      level: logging.verbosity,
      format: logging.format,
      sink,
      redactKeys: logging.redact_keys,
      ...(logging.rate_limit.enabled
        ? {
            rateLimit: {
              maxEventsPerSecond: logging.rate_limit.max_events_per_second,
              burst: logging.rate_limit.burst,
            },
          }
        : {}),
    },
  };
  const exporter = tracing.exporter;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(exporter.headers)) headers[name] = value.reveal();
  const tracingOptions: TelemetryTracingOptions = {
    enabled: tracing.enabled,
    samplingRatio: tracing.sampling_ratio,
    ...(tracing.rate_limit.enabled
      ? {
          rateLimit: {
            maxTracesPerSecond: tracing.rate_limit.max_events_per_second,
            burst: tracing.rate_limit.burst,
          },
        }
      : {}),
  };
  if (tracing.enabled) {
    tracingOptions.exporter = {
      endpoint: exporter.endpoint,
      protocol: exporter.protocol,
      headers,
      timeoutMs: exporter.timeout,
    };
    tracingOptions.batch = {
      maxQueueSize: exporter.max_queue_size,
      maxBatchSize: exporter.max_batch_size,
      scheduledDelayMs: exporter.scheduled_delay,
      exportTimeoutMs: exporter.export_timeout,
    };
  }
  options.tracing = tracingOptions;
  return options;
}
