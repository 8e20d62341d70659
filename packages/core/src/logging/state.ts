import type { Context } from "@opentelemetry/api";
import { setContextValue } from "../context/otel-context";
import { CoreError } from "../errors";
import { LEVEL_OFF, type LogLevel, parseLogLevel } from "./levels";
import type { LogFormat, LoggerOptions } from "./options";
import { createRateLimits, type RateLimits } from "./rate-limits";
import { DEFAULT_SERIALIZE_LIMITS, quoteJson, type SerializeOptions } from "./serialize";
import { consoleSink, type LogSink } from "./sinks";

// A log's state: the root it writes through (config, sink, limits, counters)
// and its own fields, stored in an OpenTelemetry context.

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
  /**
   * Arguments that could not be read or used as given: a throwing getter or
   * Proxy, a message whose `toString` throws, a span attribute that is not an
   * attribute value. The record is still written (or the span call still made)
   * with the bad part replaced or dropped; each replacement counts once here.
   */
  invalidInput: number;
  /**
   * Records over `limits.maxLineBytes`, written with their largest fields
   * (and, when the envelope alone was too large, the message) cut to fit.
   */
  oversized: number;
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
  /** Own fields; made by {@link emptyFields}, so hostile keys are inert. */
  fields: Record<string, unknown>;
  /** Cached `,"k":v…` JSON of `fields`; null when stale. */
  json: string | null;
  /** Cached ` k=v…` text of `fields`; null when stale. */
  text: string | null;
}

const LOG_STATE_KEY = Symbol.for("@groundwork/core.log-state");

/**
 * The least severe level any logger of the process accepts. The ambient `log`
 * compares against it first, so a call below it returns before looking up the
 * async context at all. Module state on purpose: it only ever decreases (a
 * logger created later with a lower level lowers it), so a stale read can only
 * let a call through to the full check, never drop a record.
 */
export let lowestEnabledLevel = LEVEL_OFF;

function zeroCounts(): Record<LogLevel, number> {
  return { trace: 0, debug: 0, info: 0, warn: 0, error: 0, fatal: 0 };
}

// The prototype of every fields object: empty and frozen, so no key is inherited and a
// `__proto__` or `constructor` key is an ordinary own field, as on a null-prototype
// object. Unlike `Object.create(null)`, whose objects V8 keeps as hash tables, objects
// made from it stay in fast mode: a fork's fields are copied and written out several
// times faster.
const FIELDS_PROTO: object = Object.freeze(Object.create(null));

/**
 * A new, empty fields object: no inherited keys, hostile keys inert.
 *
 * @returns the object.
 */
export function emptyFields(): LogFields {
  return Object.create(FIELDS_PROTO) as LogFields;
}

/** Builds the shared root of a logger from options. */
export function createLogRoot(options: LoggerOptions = {}): LogRoot {
  const level = parseLogLevel(options.level ?? "info");
  if (level < lowestEnabledLevel) lowestEnabledLevel = level;
  const redactKeys = options.redactKeys ?? [];
  const limits = { ...DEFAULT_SERIALIZE_LIMITS, ...options.limits };
  if (!(limits.maxLineBytes >= 1)) {
    throw new CoreError(
      "ERR_INVALID_OPTION",
      `logging limits.maxLineBytes must be a number of bytes of at least 1 (Infinity for no cap), got ${String(limits.maxLineBytes)}`,
    );
  }
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
      limits,
      redact: redactKeys.length > 0 ? new Set(redactKeys.map((k) => k.toLowerCase())) : null,
      redactWith: options.redactWith ?? "[REDACTED]",
    },
    serviceName,
    serviceVersion,
    serviceJson,
    members: new Map(),
    rateLimits: createRateLimits(options.rateLimit),
    stats: {
      emitted: zeroCounts(),
      dropped: zeroCounts(),
      sinkErrors: 0,
      invalidInput: 0,
      oversized: 0,
    },
    now: options.now ?? Date.now,
  };
}

/** A new log with the given fields. */
export function createLogState(root: LogRoot, fields?: LogFields): LogState {
  const own = emptyFields();
  if (fields) copyFields(own, fields, root.serialize.limits.maxObjectKeys);
  return { root, fields: own, json: null, text: null };
}

/** A fork: same root, a copy of the fields as they are now. */
export function forkLogState(state: LogState, extra?: LogFields): LogState {
  const own = emptyFields();
  for (const key in state.fields) own[key] = state.fields[key];
  const hasExtra =
    extra !== undefined && copyFields(own, extra, state.root.serialize.limits.maxObjectKeys) > 0;
  return {
    root: state.root,
    fields: own,
    json: hasExtra ? null : state.json,
    text: hasExtra ? null : state.text,
  };
}

/**
 * Copies own enumerable fields, at most `maxKeys` of them; returns how many
 * keys `fields` has (0 if it is not a plain object or threw at once). A
 * string or an array is not spread into one field per index.
 */
export function copyFields(
  target: Record<string, unknown>,
  fields: LogFields,
  maxKeys = Number.POSITIVE_INFINITY,
): number {
  let n = 0;
  try {
    if (fields === null || typeof fields !== "object" || Array.isArray(fields)) return 0;
    // for-in with an own-key check visits what Object.keys lists, in the same
    // order, without allocating the array of keys (a fork copies its fields here).
    for (const key in fields) {
      if (!Object.hasOwn(fields, key)) continue;
      if (n++ < maxKeys) target[key] = fields[key];
    }
  } catch {
    // A hostile object (throwing getter or Proxy trap) adds what it could.
  }
  return n;
}

/** Adds fields to a log in place. */
export function addFieldsToState(state: LogState, fields: LogFields): void {
  copyFields(state.fields, fields, state.root.serialize.limits.maxObjectKeys);
  state.json = null;
  state.text = null;
}

/** Stores a log in an OTel context. */
export function setLogState(ctx: Context, state: LogState): Context {
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

/** How one field key is written: its `,"key":` prefix, and whether its value is redacted. */
export interface JsonMember {
  readonly prefix: string;
  readonly redacted: boolean;
}
