import type { RateInput } from "@groundwork/ratelimit";
import type { LogLevel } from "./levels";
import type { SerializeLimits } from "./serialize";
import type { LogSink } from "./sinks";

/** Output format of line sinks. */
export type LogFormat = "json" | "text";

/** Options of {@link createLogger}. All are optional. */
export interface LoggerOptions {
  /** Least severe level written; `"off"` writes nothing. Default `"info"`. */
  level?: LogLevel | "off";
  /** Line format for line sinks. Default `"json"`. */
  format?: LogFormat;
  /** Where records go. Default {@link consoleSink}. */
  sink?: LogSink;
  /** Service name written on every record as `service`. */
  serviceName?: string;
  /** Service version written on every record as `version`. */
  serviceVersion?: string;
  /** Fields written on every record (the root log's fields). */
  fields?: Record<string, unknown>;
  /** Keys whose values are replaced at any depth, case-insensitively (e.g. `["password", "authorization"]`). */
  redactKeys?: readonly string[];
  /** Replacement text for redacted values. Default `"[REDACTED]"`. */
  redactWith?: string;
  /**
   * Global limit on records per second across the logger, with a burst.
   * Records over it are dropped and counted per level. Default: no limit.
   */
  rateLimit?: { maxEventsPerSecond: number; burst?: number };
  /** Also record each log line as an event on the active span (when it is recording). Default `true`. */
  spanEvents?: boolean;
  /** Bounds on serialising field values. */
  limits?: Partial<SerializeLimits>;
  /** Clock in epoch milliseconds (tests). Default `Date.now`. */
  now?: () => number;
}

/** Per-call options, the third argument of a log call. */
export interface LogCallOptions {
  /**
   * Limits this call site (keyed by level and message template) to the given
   * rate: `{ rateLimit: "10/s" }`. Records over it are dropped and counted.
   */
  rateLimit?: RateInput;
}
