import {
  consoleSink,
  type LogSink,
  lineSink,
  type TelemetryOptions,
  type TelemetryTracingOptions,
} from "@groundwork/core";
import { runtimeGlobal } from "@groundwork/platform";
import { SettingsError } from "../errors";
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
   * runtime with files: pass `nodeSinkFor` from `@groundwork/settings/node`.
   */
  sinkFor?: (output: LogOutput) => LogSink;
}

const consoleErrorSink = (): LogSink =>
  lineSink((line) => runtimeGlobal<{ error(line: string): void }>("console")?.error(line));

function defaultSinkFor(output: LogOutput): LogSink {
  if (output === "console" || output === "terminal") return consoleSink();
  if (output === "stderr") return consoleErrorSink();
  throw new SettingsError(
    [
      {
        code: "invalid",
        path: ["logging", "output"],
        message: `logging.output ${JSON.stringify(output)} needs a runtime with files: pass sinkFor (nodeSinkFor from @groundwork/settings/node)`,
      },
    ],
    { code: "ERR_UNSUPPORTED_LOG_OUTPUT" },
  );
}

/**
 * Maps the SDK's `telemetry:` settings (snake_case, as in the YAML) onto the
 * options of `createTelemetry` from `@groundwork/core` — the one place where
 * settings keys meet option names.
 *
 * @param settings - validated telemetry settings.
 * @param context - service name/version, and how to build the log sink.
 * @returns options for `createTelemetry`.
 * @throws {@link SettingsError} `ERR_UNSUPPORTED_LOG_OUTPUT` for `{ file }` output without a
 *   file-capable `sinkFor`; `ERR_INVALID_OPTION` for an empty `serviceName` or a `sinkFor` that is not a function.
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
  if (typeof context?.serviceName !== "string" || context.serviceName === "") {
    throw invalidOption("telemetryOptionsFromSettings needs a non-empty serviceName");
  }
  if (context.sinkFor !== undefined && typeof context.sinkFor !== "function") {
    throw invalidOption("sinkFor must be a function from logging.output to a log sink");
  }
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
      limits: { maxLineBytes: logging.max_line_size },
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
      ...(exporter.max_queue_size === "auto" ? {} : { maxQueueSize: exporter.max_queue_size }),
      maxBatchSize: exporter.max_batch_size,
      scheduledDelayMs: exporter.scheduled_delay,
      exportTimeoutMs: exporter.export_timeout,
    };
  }
  options.tracing = tracingOptions;
  return options;
}

function invalidOption(message: string): SettingsError {
  return new SettingsError([{ code: "invalid", path: [], message }], {
    code: "ERR_INVALID_OPTION",
  });
}
