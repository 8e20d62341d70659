import { type Context, ROOT_CONTEXT } from "@opentelemetry/api";
import { fromOtelContext, type TelemetryContext } from "./context/telemetry-context";
import {
  boundLogger,
  createLogRoot,
  createLogState,
  type Logger,
  type LogStats,
  setDefaultLogState,
  withLogState,
} from "./logging/logger";
import type { LoggerOptions } from "./logging/options";

/** Options of {@link createTelemetry}. */
export interface TelemetryOptions {
  /** `service.name`: on every log record and span. */
  serviceName: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** Logging options (level, format, sink, redaction, rate limits…). */
  logging?: Omit<LoggerOptions, "serviceName" | "serviceVersion">;
}

/** Counters of a telemetry instance, for log-volume and exporter metrics. */
export interface TelemetryStats {
  logs: LogStats;
}

/** A telemetry instance: the root of a service's logs and traces. */
export interface Telemetry {
  /** The root telemetry context; requests fork from it. */
  readonly context: TelemetryContext;
  /** The root log. */
  readonly log: Logger;
  /** Runs `fn` in the root context. */
  run<R>(fn: () => R): R;
  /** Counters (records emitted and dropped per level…). */
  stats(): TelemetryStats;
  /** Makes this instance the one used by code running outside any context. Returns it. */
  install(): Telemetry;
  /** Flushes buffered telemetry; resolves when done (never rejects). */
  forceFlush(): Promise<void>;
  /** Flushes and releases resources; resolves when done (never rejects). */
  shutdown(): Promise<void>;
}

/**
 * Creates a telemetry instance: a root log (and, with the tracing layer, a
 * tracer) that requests and tasks fork from.
 *
 * @param options - see {@link TelemetryOptions}; `serviceName` is required.
 * @returns the instance; call `install()` to make it the process default.
 * @example
 * ```ts
 * const telemetry = createTelemetry({ serviceName: "api", logging: { level: "debug" } }).install();
 * log.info("ready"); // {"ts":…,"level":"info","msg":"ready","service":"api"}
 * ```
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const root = createLogRoot({
    ...options.logging,
    serviceName: options.serviceName,
    ...(options.serviceVersion === undefined ? {} : { serviceVersion: options.serviceVersion }),
  });
  const state = createLogState(root, options.logging?.fields);
  const otel: Context = withLogState(ROOT_CONTEXT, state);
  const ctx = fromOtelContext(otel);
  const flush = async () => {
    try {
      await root.sink.flush?.();
    } catch {
      root.stats.sinkErrors++;
    }
  };
  const telemetry: Telemetry = {
    context: ctx,
    log: boundLogger(state),
    run: (fn) => ctx.run(fn),
    stats: () => ({ logs: root.stats }),
    install() {
      setDefaultLogState(state);
      return telemetry;
    },
    forceFlush: flush,
    shutdown: flush,
  };
  return telemetry;
}
