import { type Context, context } from "@opentelemetry/api";
import { ensureContextManager } from "./context/manager";
import { boundLogger, type Logger } from "./logging/logger";
import {
  defaultLogState,
  forkLogState,
  getLogState,
  type LogFields,
  type LogState,
  setLogState,
} from "./logging/state";
import { setSamplingRatio } from "./tracing/sampling-ratio";
import { type ForkedTraceOptions, withForkedTrace } from "./tracing/traces";

// The facade that composes logging and tracing. It lives beside `telemetry.ts`
// rather than in `context/`, which stays the ground floor both build on.

/** Wraps the entry into a context, e.g. to start a span that lives as long as the function run. */
type ContextEntry = <R>(fn: () => R) => R;

/**
 * The telemetry context: the current log and the current span, carried through
 * async code. A value is immutable: `forkLog()`, `forkTrace()` and
 * `setSamplingRatio()` return new contexts, which compose; `run(fn)` enters one.
 *
 * It is a thin view over an OpenTelemetry `Context`, so libraries using
 * `@opentelemetry/api` see our spans and we see theirs.
 *
 * @example
 * ```ts
 * const conn = TelemetryContext.current().forkLog({ conn_id: 7 });
 * await conn.forkLog().forkTrace("request").run(async () => {
 *   log.addFields({ request_id: "r1" }); // does not leak into `conn`
 *   log.info("handling request");         // carries conn_id and request_id
 * });
 * ```
 */
export interface TelemetryContext {
  /** The underlying OpenTelemetry context. */
  readonly otel: Context;
  /** A logger writing through this context's log. */
  readonly log: Logger;
  /**
   * Runs `fn` inside this context (sync or async).
   *
   * @param fn - the code to run.
   * @returns what `fn` returns.
   */
  run<R>(fn: () => R): R;
  /**
   * Wraps `fn` so that it always runs inside this context (for callbacks, timers, event listeners).
   *
   * @param fn - the function to wrap.
   * @returns a function with the same signature.
   */
  bind<F extends (...args: never[]) => unknown>(fn: F): F;
  /**
   * A context with a copy of this context's log: fields added inside do not
   * leak out, and fields added to this context later do not leak in.
   *
   * @param fields - fields to add to the fork (default none).
   * @returns the new context.
   */
  forkLog(fields?: LogFields): TelemetryContext;
  /**
   * A context that, when entered with `run`, runs in a new trace whose root
   * span links to the span current at that moment (and is recorded on it);
   * the root span ends when the function passed to `run` settles. A sampled
   * parent makes the fork sampled (see the tracing guide).
   *
   * @param name - the forked trace's root span name.
   * @param options - `samplingRatio`, `attributes`, `kind` (default none).
   * @returns the new context.
   */
  forkTrace(name: string, options?: ForkedTraceOptions): TelemetryContext;
  /**
   * A context in which new traces are sampled with `ratio` instead of the
   * configured default (see `withSamplingRatio`).
   *
   * @param ratio - a probability in [0, 1]; values outside are clamped, NaN is ignored.
   * @returns the new context.
   */
  setSamplingRatio(ratio: number): TelemetryContext;
}

function stateOf(otel: Context): LogState {
  return getLogState(otel) ?? defaultLogState();
}

// A class rather than an object made from a prototype and then assigned: a fork
// makes one of these, and a class's objects are allocated whole, with one map.
class ContextValue implements TelemetryContext {
  readonly otel: Context;
  readonly state: LogState;
  readonly entries: readonly ContextEntry[];
  logger: Logger | undefined;

  constructor(otel: Context, state: LogState, entries: readonly ContextEntry[]) {
    this.otel = otel;
    this.state = state;
    this.entries = entries;
    this.logger = undefined;
  }

  get log(): Logger {
    this.logger ??= boundLogger(this.state);
    return this.logger;
  }

  run<R>(fn: () => R): R {
    ensureContextManager();
    const entries = this.entries;
    if (entries.length === 0) return context.with(this.otel, fn);
    return context.with(this.otel, () => applyEntries(entries, entries.length - 1, fn));
  }

  bind<F extends (...args: never[]) => unknown>(fn: F): F {
    ensureContextManager();
    const self = this;
    return function (this: unknown, ...args: Parameters<F>) {
      return self.run(() => fn.apply(this, args));
    } as unknown as F;
  }

  forkLog(fields?: LogFields): TelemetryContext {
    const state = forkLogState(this.state, fields);
    return new ContextValue(setLogState(this.otel, state), state, this.entries);
  }

  forkTrace(name: string, options?: ForkedTraceOptions): TelemetryContext {
    const entry: ContextEntry =
      options === undefined
        ? (fn) => withForkedTrace(name, fn)
        : (fn) => withForkedTrace(name, options, fn);
    return new ContextValue(this.otel, this.state, [...this.entries, entry]);
  }

  setSamplingRatio(ratio: number): TelemetryContext {
    return new ContextValue(setSamplingRatio(this.otel, ratio), this.state, this.entries);
  }
}

// Entries added later wrap closer to `fn`: `a.forkTrace("x").forkTrace("y").run(fn)`
// runs x(() => y(fn)), so a forked log added before a forked trace is visible
// inside the trace.
function applyEntries<R>(entries: readonly ContextEntry[], i: number, fn: () => R): R {
  if (i < 0) return fn();
  return applyEntries(entries, i - 1, () => (entries[i] as ContextEntry)(fn));
}

/** Static members of {@link TelemetryContext}. */
export const TelemetryContext = {
  /**
   * The context the caller runs in (the global telemetry's root outside any).
   *
   * @returns the current telemetry context.
   * @example
   * ```ts
   * const ctx = TelemetryContext.current();
   * setTimeout(ctx.bind(() => log.info("still in the request's log")), 10);
   * ```
   */
  current(): TelemetryContext {
    ensureContextManager();
    const otel = context.active();
    return new ContextValue(otel, stateOf(otel), []);
  },
  /**
   * A telemetry context over an OpenTelemetry context: its log is the one
   * stored there, else the global one.
   *
   * @param otel - the OpenTelemetry context.
   * @returns the telemetry context.
   * @example
   * ```ts
   * const ctx = TelemetryContext.fromOtel(context.active());
   * ctx.log.info("from a plain OpenTelemetry context");
   * ```
   */
  fromOtel(otel: Context): TelemetryContext {
    return new ContextValue(otel, stateOf(otel), []);
  },
};

/**
 * Runs `fn` with a fork of the current log (sugar for
 * `TelemetryContext.current().forkLog().run(fn)`): fields added inside do not
 * leak out, and later changes to the caller's log do not leak in.
 *
 * @param fn - the code to run; sync or async.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * await withForkedLog(async () => {
 *   log.addFields({ job: "reindex" });
 *   log.info("started"); // carries job; the caller's log does not
 * });
 * ```
 */
export function withForkedLog<R>(fn: () => R): R;
/**
 * Runs `fn` with a fork of the current log that starts with `fields` added.
 *
 * @param fields - fields to add to the fork.
 * @param fn - the code to run; sync or async.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * await withForkedLog({ job: "reindex" }, () => reindex());
 * ```
 */
export function withForkedLog<R>(fields: LogFields, fn: () => R): R;
export function withForkedLog<R>(fieldsOrFn: LogFields | (() => R), maybeFn?: () => R): R {
  const current = TelemetryContext.current();
  if (typeof fieldsOrFn === "function") return current.forkLog().run(fieldsOrFn);
  return current.forkLog(fieldsOrFn).run(maybeFn as () => R);
}
