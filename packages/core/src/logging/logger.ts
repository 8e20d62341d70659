import { type Context, type Span, TraceFlags, trace } from "@opentelemetry/api";
import { activeContext } from "../context/manager";
import { setContextValue } from "../context/otel-context";
import { LEVEL_OFF, LEVEL_VALUES, type LogLevel, parseLogLevel } from "./levels";
import type { LogCallOptions, LogFormat, LoggerOptions } from "./options";
import { createRateLimits, type RateLimits } from "./rate-limits";
import {
  DEFAULT_SERIALIZE_LIMITS,
  quoteJson,
  type SerializeOptions,
  serializeJson,
  toPlain,
} from "./serialize";
import { consoleSink, type LogRecord, type LogSink } from "./sinks";

/** Log fields: any JSON-ish values (serialised safely, see the logging guide). */
export type LogFields = Record<string, unknown>;

/** Counters a logger keeps; exposed as log-volume metrics. */
export interface LogStats {
  /** Records written, per level. */
  emitted: Record<LogLevel, number>;
  /** Records dropped by a rate limit, per level. */
  dropped: Record<LogLevel, number>;
  /** Records lost because the sink threw. */
  sinkErrors: number;
}

/**
 * A logger. Methods never throw. Fields are optional; an Error passed as the
 * fields argument is logged as `{ err }`.
 */
export interface Logger {
  trace(msg: string, fields?: LogFields | Error, options?: LogCallOptions): void;
  debug(msg: string, fields?: LogFields | Error, options?: LogCallOptions): void;
  info(msg: string, fields?: LogFields | Error, options?: LogCallOptions): void;
  warn(msg: string, fields?: LogFields | Error, options?: LogCallOptions): void;
  error(msg: string, fields?: LogFields | Error, options?: LogCallOptions): void;
  fatal(msg: string, fields?: LogFields | Error, options?: LogCallOptions): void;
  /** Adds fields to this log: every later record of this log (and of forks made later) carries them. */
  addFields(fields: LogFields): void;
  /** The log's current fields (a copy). */
  fields(): LogFields;
  /** Whether a record at `level` would be written (before rate limits). */
  isLevelEnabled(level: LogLevel): boolean;
}

/** The shared, immutable-after-creation part of a logger: config, sink, limits, counters. */
export interface LogRoot {
  readonly level: number;
  readonly format: LogFormat;
  readonly sink: LogSink;
  readonly spanEvents: boolean;
  readonly serialize: SerializeOptions;
  readonly serviceName: string | undefined;
  readonly serviceVersion: string | undefined;
  /** `,"service":…,"version":…` for JSON lines. */
  readonly serviceJson: string;
  /** `,"key":` prefixes (and whether the key is redacted), cached per key name. */
  readonly members: Map<string, JsonMember>;
  readonly rateLimits: RateLimits;
  readonly stats: LogStats;
  readonly now: () => number;
}

/**
 * One log: its fields and the root it writes through. A fork copies the
 * fields; the copy and the original then change independently.
 */
export interface LogState {
  readonly root: LogRoot;
  /** Own fields; null-prototype object so hostile keys are inert. */
  fields: Record<string, unknown>;
  /** Cached `,"k":v…` JSON of `fields`; null when stale. */
  json: string | null;
  /** Cached ` k=v…` text of `fields`; null when stale. */
  text: string | null;
}

const RESERVED = new Set(["ts", "level", "msg", "trace_id", "span_id", "service", "version"]);

const LOG_STATE_KEY = Symbol.for("@groundwork/core.log-state");

// The least severe level any logger accepts: a call below it returns before
// looking up the async context at all. It only ever decreases.
let lowestEnabledLevel = LEVEL_OFF;

function zeroCounts(): Record<LogLevel, number> {
  return { trace: 0, debug: 0, info: 0, warn: 0, error: 0, fatal: 0 };
}

/** Builds the shared root of a logger from options. */
export function createLogRoot(options: LoggerOptions = {}): LogRoot {
  const level = parseLogLevel(options.level ?? "info");
  if (level < lowestEnabledLevel) lowestEnabledLevel = level;
  const redactKeys = options.redactKeys ?? [];
  const serviceName = options.serviceName;
  const serviceVersion = options.serviceVersion;
  let serviceJson = "";
  if (serviceName !== undefined) serviceJson += `,"service":${quoteJson(serviceName)}`;
  if (serviceVersion !== undefined) serviceJson += `,"version":${quoteJson(serviceVersion)}`;
  return {
    level,
    format: options.format ?? "json",
    sink: options.sink ?? consoleSink(),
    spanEvents: options.spanEvents ?? true,
    serialize: {
      limits: { ...DEFAULT_SERIALIZE_LIMITS, ...options.limits },
      redact: redactKeys.length > 0 ? new Set(redactKeys.map((k) => k.toLowerCase())) : null,
      redactWith: options.redactWith ?? "[REDACTED]",
    },
    serviceName,
    serviceVersion,
    serviceJson,
    members: new Map(),
    rateLimits: createRateLimits(options.rateLimit),
    stats: { emitted: zeroCounts(), dropped: zeroCounts(), sinkErrors: 0 },
    now: options.now ?? Date.now,
  };
}

/** A new log with the given fields. */
export function createLogState(root: LogRoot, fields?: LogFields): LogState {
  const own: Record<string, unknown> = Object.create(null);
  if (fields) copyFields(own, fields);
  return { root, fields: own, json: null, text: null };
}

/** A fork: same root, a copy of the fields as they are now. */
export function forkLogState(state: LogState, extra?: LogFields): LogState {
  const own: Record<string, unknown> = Object.create(null);
  for (const key in state.fields) own[key] = state.fields[key];
  const hasExtra = extra !== undefined && copyFields(own, extra) > 0;
  return {
    root: state.root,
    fields: own,
    json: hasExtra ? null : state.json,
    text: hasExtra ? null : state.text,
  };
}

/** Copies own enumerable fields; returns how many keys `fields` has (0 if it threw at once). */
function copyFields(target: Record<string, unknown>, fields: LogFields): number {
  let keys: string[] = [];
  try {
    keys = Object.keys(fields);
    for (const key of keys) target[key] = fields[key];
  } catch {
    // A hostile object (throwing getter or Proxy trap) adds what it could.
  }
  return keys.length;
}

/** Adds fields to a log in place. */
export function addFieldsToState(state: LogState, fields: LogFields): void {
  copyFields(state.fields, fields);
  state.json = null;
  state.text = null;
}

/** Stores a log in an OTel context. */
export function withLogState(ctx: Context, state: LogState): Context {
  return setContextValue(ctx, LOG_STATE_KEY, state);
}

/** The log stored in an OTel context, if any. */
export function getLogState(ctx: Context): LogState | undefined {
  return ctx.getValue(LOG_STATE_KEY) as LogState | undefined;
}

let fallbackState: LogState | undefined;

/** The log used when no context carries one: the global telemetry's, else a default console logger. */
export function defaultLogState(): LogState {
  fallbackState ??= createLogState(createLogRoot());
  return fallbackState;
}

/** Replaces the log used when no context carries one. */
export function setDefaultLogState(state: LogState | undefined): void {
  fallbackState = state;
}

// ---- writing ---------------------------------------------------------------

let lastMs = -1;
let lastIso = "";

function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** How one field key is written: its `,"key":` prefix, and whether its value is redacted. */
export interface JsonMember {
  readonly prefix: string;
  readonly redacted: boolean;
}

// Distinct key names whose prefixes a root caches; keys beyond are computed each time.
const MAX_CACHED_MEMBERS = 4096;

function memberOf(root: LogRoot, key: string): JsonMember {
  let member = root.members.get(key);
  if (member === undefined) {
    const redact = root.serialize.redact;
    member = {
      prefix: `,${quoteJson(RESERVED.has(key) ? `fields.${key}` : key)}:`,
      redacted: redact?.has(key.toLowerCase()) === true,
    };
    if (root.members.size < MAX_CACHED_MEMBERS) root.members.set(key, member);
  }
  return member;
}

// Primitives, the common case, skip the general serialiser.
function valueJson(v: unknown, s: SerializeOptions): string {
  switch (typeof v) {
    case "string":
      return v.length <= s.limits.maxStringLength ? quoteJson(v) : serializeJson(v, s);
    case "number":
      return Number.isFinite(v) ? String(v) : `"${String(v)}"`;
    case "boolean":
      return v ? "true" : "false";
    default:
      return serializeJson(v, s);
  }
}

function jsonMembers(fields: LogFields, root: LogRoot): string {
  let out = "";
  const s = root.serialize;
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined) continue;
    const member = memberOf(root, key);
    out += member.prefix + (member.redacted ? quoteJson(s.redactWith) : valueJson(v, s));
  }
  return out;
}

function fieldsJson(state: LogState): string {
  state.json ??= jsonMembers(state.fields, state.root);
  return state.json;
}

/** The call's fields as JSON members, or null when one shadows a log field (the slow, merging path). */
function callFieldsJson(state: LogState, fields: LogFields): string | null {
  for (const key in fields) if (key in state.fields) return null;
  return jsonMembers(fields, state.root);
}

function mergedFields(state: LogState, fields: LogFields | undefined): LogFields {
  const merged: LogFields = Object.create(null);
  for (const key in state.fields) merged[key] = state.fields[key];
  if (fields) copyFields(merged, fields);
  return merged;
}

function jsonLine(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span | undefined,
  time: number,
): string {
  const root = state.root;
  let line = `{"ts":"${isoTime(time)}","level":"${level}","msg":${quoteJson(msg)}`;
  if (fields === undefined) line += fieldsJson(state);
  else {
    const call = callFieldsJson(state, fields);
    line +=
      call === null ? jsonMembers(mergedFields(state, fields), root) : fieldsJson(state) + call;
  }
  if (span !== undefined) {
    const sc = span.spanContext();
    line += `,"trace_id":"${sc.traceId}","span_id":"${sc.spanId}"`;
  }
  return `${line + root.serviceJson}}`;
}

const TEXT_LEVEL: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO ",
  warn: "WARN ",
  error: "ERROR",
  fatal: "FATAL",
};

function textValue(key: string, value: unknown, s: SerializeOptions): string {
  if (s.redact?.has(key.toLowerCase())) return s.redactWith;
  if (typeof value === "string") {
    const json = serializeJson(value, s);
    return /^"[^\s"=\\]*"$/.test(json) && json.length > 2 ? json.slice(1, -1) : json;
  }
  return serializeJson(value, s);
}

function textLine(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span | undefined,
  time: number,
): string {
  const root = state.root;
  let line = `${isoTime(time)} ${TEXT_LEVEL[level]} ${msg}`;
  const merged = fields === undefined ? state.fields : mergedFields(state, fields);
  for (const key in merged) {
    const v = merged[key];
    if (v === undefined) continue;
    line += ` ${key}=${textValue(key, v, root.serialize)}`;
  }
  if (span !== undefined) {
    const sc = span.spanContext();
    line += ` trace_id=${sc.traceId} span_id=${sc.spanId}`;
  }
  return line;
}

function buildRecord(
  state: LogState,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  span: Span | undefined,
  time: number,
): LogRecord {
  const root = state.root;
  const plain = toPlain(mergedFields(state, fields), root.serialize);
  const record: LogRecord = {
    time,
    level,
    msg,
    fields: plain !== null && typeof plain === "object" ? (plain as LogFields) : {},
  };
  if (span !== undefined) {
    const sc = span.spanContext();
    record.traceId = sc.traceId;
    record.spanId = sc.spanId;
  }
  if (root.serviceName !== undefined) record.service = root.serviceName;
  if (root.serviceVersion !== undefined) record.version = root.serviceVersion;
  return record;
}

type AttributeValue = string | number | boolean;

function spanEventAttributes(
  state: LogState,
  level: LogLevel,
  fields: LogFields | undefined,
): Record<string, AttributeValue> {
  const attrs: Record<string, AttributeValue> = { "log.severity": level };
  const plain = toPlain(mergedFields(state, fields), state.root.serialize) as LogFields;
  for (const key in plain) {
    const v = plain[key];
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") attrs[key] = v;
    else if (v !== null && v !== undefined) attrs[key] = JSON.stringify(v);
  }
  return attrs;
}

function sampledSpan(ctx: Context): Span | undefined {
  const span = trace.getSpan(ctx);
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  return (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? span : undefined;
}

/**
 * Writes one record through a log. Never throws: a failing sink is counted.
 * The level has already been checked against the root.
 */
function write(
  state: LogState,
  ctx: Context,
  level: LogLevel,
  msg: string,
  fieldsArg: LogFields | Error | undefined,
  options: LogCallOptions | undefined,
): void {
  const root = state.root;
  try {
    if (!root.rateLimits.allow(level, msg, options)) {
      root.stats.dropped[level]++;
      return;
    }
    const fields = fieldsArg instanceof Error ? { err: fieldsArg } : fieldsArg;
    const span = sampledSpan(ctx);
    const time = root.now();
    const sink = root.sink;
    if (sink.kind === "line") {
      const line =
        root.format === "json"
          ? jsonLine(state, level, msg, fields, span, time)
          : textLine(state, level, msg, fields, span, time);
      sink.write(line, level);
    } else {
      sink.write(buildRecord(state, level, msg, fields, span, time));
    }
    root.stats.emitted[level]++;
    if (span !== undefined && root.spanEvents && span.isRecording()) {
      span.addEvent(msg, spanEventAttributes(state, level, fields), time);
    }
  } catch {
    root.stats.sinkErrors++;
  }
}

// ---- loggers ---------------------------------------------------------------

function stateOf(ctx: Context): LogState {
  return (ctx.getValue(LOG_STATE_KEY) as LogState | undefined) ?? defaultLogState();
}

function ambientMethod(level: LogLevel) {
  const value = LEVEL_VALUES[level];
  return (msg: string, fields?: LogFields | Error, options?: LogCallOptions): void => {
    if (value < lowestEnabledLevel) return;
    const ctx = activeContext();
    const state = stateOf(ctx);
    if (value < state.root.level) return;
    write(state, ctx, level, msg, fields, options);
  };
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
  trace: ambientMethod("trace"),
  debug: ambientMethod("debug"),
  info: ambientMethod("info"),
  warn: ambientMethod("warn"),
  error: ambientMethod("error"),
  fatal: ambientMethod("fatal"),
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

// A root's level never changes, so a bound logger's disabled levels are this
// shared no-op: a disabled call costs one function call and nothing else.
const disabled = (_msg: string, _fields?: LogFields | Error, _options?: LogCallOptions): void => {};

function boundMethod(state: LogState, level: LogLevel) {
  if (LEVEL_VALUES[level] < state.root.level) return disabled;
  return (msg: string, fields?: LogFields | Error, options?: LogCallOptions): void => {
    write(state, activeContext(), level, msg, fields, options);
  };
}

/**
 * A logger bound to one log, independent of the async context (the active
 * span is still read from it for `trace_id`/`span_id`).
 */
export function boundLogger(state: LogState): Logger {
  return {
    trace: boundMethod(state, "trace"),
    debug: boundMethod(state, "debug"),
    info: boundMethod(state, "info"),
    warn: boundMethod(state, "warn"),
    error: boundMethod(state, "error"),
    fatal: boundMethod(state, "fatal"),
    addFields: (fields) => addFieldsToState(state, fields),
    fields: () => ({ ...state.fields }),
    isLevelEnabled: (level) => LEVEL_VALUES[level] >= state.root.level,
  };
}

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
  return {
    ...boundLogger(state),
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
