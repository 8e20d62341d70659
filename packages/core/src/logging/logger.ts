import { type Context, isSpanContextValid, type Span, trace } from "@opentelemetry/api";
import { activeContext } from "../context/manager";
import { buildRecord, jsonLine, spanEventAttributes, textLine } from "./encode";
import { callFields, readCallFields } from "./fields";
import { LEVEL_VALUES, type LogLevel } from "./levels";
import type { LogCallOptions, LoggerOptions } from "./options";
import { describeThrow, truncate } from "./serialize";
import type { LogRecord } from "./sinks";
import {
  addFieldsToState,
  createLogRoot,
  createLogState,
  defaultLogState,
  getLogState,
  type LogFields,
  type LogRoot,
  type LogState,
  type LogStats,
  lowestEnabledLevel,
} from "./state";

/**
 * A logger. Methods never throw. The second argument is optional: an object
 * of fields, or any other value — an `Error`, or whatever a `catch` caught
 * (typed `unknown`) — which is logged as the one field `err`.
 */
export interface Logger {
  trace(msg: string, fields?: unknown, options?: LogCallOptions): void;
  debug(msg: string, fields?: unknown, options?: LogCallOptions): void;
  info(msg: string, fields?: unknown, options?: LogCallOptions): void;
  warn(msg: string, fields?: unknown, options?: LogCallOptions): void;
  error(msg: string, fields?: unknown, options?: LogCallOptions): void;
  fatal(msg: string, fields?: unknown, options?: LogCallOptions): void;
  /** Adds fields to this log: every later record of this log (and of forks made later) carries them. */
  addFields(fields: LogFields): void;
  /** The log's current fields (a copy). */
  fields(): LogFields;
  /** Whether a record at `level` would be written (before rate limits). */
  isLevelEnabled(level: LogLevel): boolean;
}

/**
 * The span whose ids a record carries: the active one whenever its context is
 * valid, sampled or not (a request continuing an unsampled remote trace still
 * joins the caller's trace in the logs), as OpenTelemetry's log correlation.
 */
function correlatedSpan(ctx: Context): Span | undefined {
  const span = trace.getSpan(ctx);
  if (span === undefined) return undefined;
  return isSpanContextValid(span.spanContext()) ? span : undefined;
}

/** The message as a string cut to the string limit; a `toString` that throws is replaced and counted. */
function messageText(msg: unknown, root: LogRoot): string {
  let text: string;
  if (typeof msg === "string") text = msg;
  else {
    try {
      text = String(msg);
    } catch (error) {
      root.stats.invalidInput++;
      text = describeThrow(error);
    }
  }
  return truncate(text, root.serialize.limits.maxStringLength);
}

function rateAllowed(root: LogRoot, level: LogLevel, msg: string, options: unknown): boolean {
  try {
    return root.rateLimits.allow(level, msg, options as LogCallOptions | undefined);
  } catch {
    // Options that cannot be read: counted, and the global limit still applies.
    root.stats.invalidInput++;
    return root.rateLimits.allow(level, msg, undefined);
  }
}

function encode(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span | undefined,
  time: number,
): string | LogRecord {
  const root = state.root;
  if (root.sink.kind !== "line") return buildRecord(state, level, msg, fields, span, time);
  return root.format === "json"
    ? jsonLine(state, level, msg, fields, span, time)
    : textLine(state, level, msg, fields, span, time);
}

/**
 * Writes one record through a log. Never throws: unreadable arguments are
 * replaced and counted in `invalidInput`, a failing sink in `sinkErrors`.
 * The level has already been checked against the root.
 */
function write(
  state: LogState,
  ctx: Context,
  level: LogLevel,
  msgArg: unknown,
  fieldsArg: unknown,
  options: unknown,
): void {
  const root = state.root;
  let encoded: string | LogRecord;
  let span: Span | undefined;
  let msg: string;
  let fields: LogFields | undefined;
  let time: number;
  try {
    msg = messageText(msgArg, root);
    if (!rateAllowed(root, level, msg, options)) {
      root.stats.dropped[level]++;
      return;
    }
    fields = fieldsArg === undefined ? undefined : callFields(fieldsArg, root);
    span = correlatedSpan(ctx);
    time = root.now();
    try {
      encoded = encode(state, level, msg, fields, span, time);
    } catch {
      // The caller's object threw while being read (a getter): encode a safe copy.
      fields = readCallFields(fieldsArg, root);
      encoded = encode(state, level, msg, fields, span, time);
    }
  } catch {
    // Only a defect gets here (every argument is read defensively above).
    root.stats.invalidInput++;
    return;
  }
  try {
    const sink = root.sink;
    if (sink.kind === "line") sink.write(encoded as string, level);
    else sink.write(encoded as LogRecord);
    root.stats.emitted[level]++;
  } catch {
    root.stats.sinkErrors++;
    return;
  }
  if (span !== undefined && root.spanEvents) {
    try {
      if (span.isRecording())
        span.addEvent(msg, spanEventAttributes(state, level, msg, fields, span, time), time);
    } catch {}
  }
}

function stateOf(ctx: Context): LogState {
  return getLogState(ctx) ?? defaultLogState();
}

// Level values, inlined in the methods below so a disabled call is one
// comparison with no lookup.
const TRACE = LEVEL_VALUES.trace;
const DEBUG = LEVEL_VALUES.debug;
const INFO = LEVEL_VALUES.info;
const WARN = LEVEL_VALUES.warn;
const ERROR = LEVEL_VALUES.error;
const FATAL = LEVEL_VALUES.fatal;

/** An ambient call past the process-wide level check: finds the current log and writes. */
function writeAmbient(
  level: LogLevel,
  value: number,
  msg: string,
  fields: unknown,
  options: LogCallOptions | undefined,
): void {
  const ctx = activeContext();
  const state = stateOf(ctx);
  if (value < state.root.level) return;
  write(state, ctx, level, msg, fields, options);
}

/**
 * The ambient logger: each call writes through the log of the current
 * telemetry context (see `TelemetryContext.current()`), or the global one
 * outside any context.
 *
 * @example
 * ```ts
 * import { log } from "@groundwork/core";
 * log.info("user signed in", { user_id: 42 });
 * log.warn("cache miss storm", { key }, { rateLimit: "10/s" });
 * ```
 */
export const log: Logger = {
  // One function per level rather than closures from one factory: closures of one
  // function share its feedback and optimised code, so a disabled `debug` would be
  // compiled as the busy `info` and not inlined by its caller. Each compares with
  // the least severe level of any logger first, before any context lookup; none
  // uses `this`, so they can be passed around detached.
  trace(msg, fields, options) {
    if (TRACE >= lowestEnabledLevel) writeAmbient("trace", TRACE, msg, fields, options);
  },
  debug(msg, fields, options) {
    if (DEBUG >= lowestEnabledLevel) writeAmbient("debug", DEBUG, msg, fields, options);
  },
  info(msg, fields, options) {
    if (INFO >= lowestEnabledLevel) writeAmbient("info", INFO, msg, fields, options);
  },
  warn(msg, fields, options) {
    if (WARN >= lowestEnabledLevel) writeAmbient("warn", WARN, msg, fields, options);
  },
  error(msg, fields, options) {
    if (ERROR >= lowestEnabledLevel) writeAmbient("error", ERROR, msg, fields, options);
  },
  fatal(msg, fields, options) {
    if (FATAL >= lowestEnabledLevel) writeAmbient("fatal", FATAL, msg, fields, options);
  },
  addFields(fields) {
    addFieldsToState(stateOf(activeContext()), fields);
  },
  fields() {
    return { ...stateOf(activeContext()).fields };
  },
  isLevelEnabled(level) {
    return LEVEL_VALUES[level] >= stateOf(activeContext()).root.level;
  },
};

// One object per bound logger with its methods on a shared prototype: a fork's
// `ctx.log` costs one small allocation, not a closure per level. The root's
// level never changes, so each method compares with a copy kept on the object.
class BoundLogger implements Logger {
  readonly #state: LogState;
  readonly #level: number;

  constructor(state: LogState) {
    this.#state = state;
    this.#level = state.root.level;
  }

  trace(msg: string, fields?: unknown, options?: LogCallOptions): void {
    if (TRACE >= this.#level) write(this.#state, activeContext(), "trace", msg, fields, options);
  }
  debug(msg: string, fields?: unknown, options?: LogCallOptions): void {
    if (DEBUG >= this.#level) write(this.#state, activeContext(), "debug", msg, fields, options);
  }
  info(msg: string, fields?: unknown, options?: LogCallOptions): void {
    if (INFO >= this.#level) write(this.#state, activeContext(), "info", msg, fields, options);
  }
  warn(msg: string, fields?: unknown, options?: LogCallOptions): void {
    if (WARN >= this.#level) write(this.#state, activeContext(), "warn", msg, fields, options);
  }
  error(msg: string, fields?: unknown, options?: LogCallOptions): void {
    if (ERROR >= this.#level) write(this.#state, activeContext(), "error", msg, fields, options);
  }
  fatal(msg: string, fields?: unknown, options?: LogCallOptions): void {
    if (FATAL >= this.#level) write(this.#state, activeContext(), "fatal", msg, fields, options);
  }
  addFields(fields: LogFields): void {
    addFieldsToState(this.#state, fields);
  }
  fields(): LogFields {
    return { ...this.#state.fields };
  }
  isLevelEnabled(level: LogLevel): boolean {
    return LEVEL_VALUES[level] >= this.#level;
  }
}

/**
 * A logger bound to one log, independent of the async context (the active
 * span is still read from it for `trace_id`/`span_id`).
 */
export function boundLogger(state: LogState): Logger {
  return new BoundLogger(state);
}

/** A log method for a level the logger does not write. */
function disabled(): void {}

/** A standalone logger with its own root, not tied to any telemetry context. */
export interface StandaloneLogger extends Logger {
  /** Counters of this logger. */
  stats(): LogStats;
  /** Flushes the sink. */
  flush(): Promise<void>;
}

/**
 * Creates a standalone logger (a telemetry instance from `createTelemetry`
 * gives you one wired to the context; this one is for libraries and scripts).
 *
 * @param options - see {@link LoggerOptions}; all optional.
 * @returns a logger with `stats()` and `flush()`.
 * @example
 * ```ts
 * const logger = createLogger({ level: "debug", format: "text", redactKeys: ["password"] });
 * logger.info("started", { port: 8080 });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): StandaloneLogger {
  const state = createLogState(createLogRoot(options), options.fields);
  const root = state.root;
  const logger = boundLogger(state);
  // Methods bound once, so they can be passed around detached as before. A root's level
  // never changes, so a level below it gets the shared no-op: a disabled call is then
  // nothing but the call, which its caller inlines away.
  const method = (value: number, fn: Logger["info"]): Logger["info"] =>
    value >= root.level ? fn.bind(logger) : disabled;
  return {
    trace: method(TRACE, logger.trace),
    debug: method(DEBUG, logger.debug),
    info: method(INFO, logger.info),
    warn: method(WARN, logger.warn),
    error: method(ERROR, logger.error),
    fatal: method(FATAL, logger.fatal),
    addFields: logger.addFields.bind(logger),
    fields: logger.fields.bind(logger),
    isLevelEnabled: logger.isLevelEnabled.bind(logger),
    stats: () => root.stats,
    flush: async () => {
      try {
        await root.sink.flush?.();
      } catch {
        root.stats.sinkErrors++;
      }
    },
  };
}
