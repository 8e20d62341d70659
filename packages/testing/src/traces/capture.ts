import { createTracing, setTracer } from "@groundwork/core/tracing";
import {
  type Context,
  context,
  createContextKey,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import type {
  BasicTracerProvider,
  ReadableSpan,
  SpanExporter,
  SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { TestingError } from "../errors";
import { buildTraceTrees, type TraceNode } from "./tree";

/** Throws `ERR_INVALID_OPTION` unless `value` is a positive integer. */
export function checkCount(name: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new TestingError(
      "ERR_INVALID_OPTION",
      `${name} must be a positive integer, got ${String(value)}`,
    );
  }
}

/** Throws `ERR_INVALID_OPTION` unless `value` is `undefined` or a number in [0, 1]. */
export function checkRatio(value: unknown): void {
  if (value !== undefined && (typeof value !== "number" || !(value >= 0 && value <= 1))) {
    throw new TestingError(
      "ERR_INVALID_OPTION",
      `samplingRatio must be a number in [0, 1], got ${String(value)}`,
    );
  }
}

/** Options of {@link createTraceCapture}. */
export interface TraceCaptureOptions {
  /** `service.name` on the captured spans. Default `"test"`. */
  serviceName?: string;
  /** Sampling ratio for new traces, with Groundwork's sampler. Default 1 (everything). */
  samplingRatio?: number;
  /** Most spans kept; later ones are counted in `dropped`. Default 100 000. */
  maxSpans?: number;
  /**
   * Route spans started with the plain OpenTelemetry API
   * (`trace.getTracer(…)`) inside this capture's context into it, by
   * installing, once per process, a global tracer provider that picks the
   * capture from each span's parent context. Default `true`.
   */
  routeGlobalApi?: boolean;
}

/** An in-memory capture of the spans one test produced. */
export interface TraceCapture {
  /** The capture's tracer; Groundwork's span functions use it inside {@link TraceCapture.context}. */
  readonly tracer: Tracer;
  /** The tracer provider behind it (Groundwork's sampler, a capturing processor). */
  readonly provider: BasicTracerProvider;
  /** A root context that routes spans into this capture. */
  readonly context: Context;
  /** Runs `fn` in {@link TraceCapture.context}; returns what `fn` returns. */
  run<R>(fn: () => R): R;
  /** Finished spans, in the order they ended. */
  spans(): ReadableSpan[];
  /** Finished spans as trace trees (see {@link buildTraceTrees}). */
  traces(): TraceNode[];
  /** Forgets the captured spans (and the dropped count). */
  reset(): void;
  /** Spans not kept because `maxSpans` was reached. */
  readonly dropped: number;
  /**
   * A span exporter that adds the spans it is given to this capture, for code that makes
   * its own tracer and exports finished spans (an instrumented Worker, a batch processor).
   */
  readonly exporter: SpanExporter;
}

const CAPTURE_KEY = createContextKey("groundwork.testing.trace_capture");

/**
 * Returns `ctx` set up to send spans to `capture`: Groundwork's span functions
 * use its tracer, and (with routing installed) so does the plain
 * OpenTelemetry API. Test helpers that build their own context use this.
 *
 * @param ctx - the context to extend.
 * @param capture - the capture.
 * @returns the extended context; `ctx` is unchanged.
 * @example
 * ```ts
 * const traces = createTraceCapture();
 * context.with(setTraceCapture(myContext, traces), () => runCodeUnderTest());
 * ```
 */
export function setTraceCapture(ctx: Context, capture: TraceCapture): Context {
  return setTracer(ctx, capture.tracer).setValue(CAPTURE_KEY, capture);
}

const noopProvider = new ProxyTracerProvider();

function routedTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
  const pick = (ctx: Context): Tracer => {
    const capture = ctx.getValue(CAPTURE_KEY) as TraceCapture | undefined;
    return capture
      ? capture.provider.getTracer(name, version, options)
      : noopProvider.getTracer(name, version, options);
  };
  const startSpan = (spanName: string, opts?: SpanOptions, ctx: Context = context.active()): Span =>
    pick(ctx).startSpan(spanName, opts, ctx);
  // startActiveSpan has three overloads; normalise them onto startSpan.
  function startActiveSpan<F extends (span: Span) => unknown>(
    spanName: string,
    a: SpanOptions | F,
    b?: Context | F,
    c?: F,
  ): ReturnType<F> {
    let opts: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F;
    if (typeof a === "function") fn = a;
    else if (typeof b === "function") {
      opts = a;
      fn = b;
    } else {
      opts = a;
      ctx = b;
      fn = c as F;
    }
    const parent = ctx ?? context.active();
    const s = startSpan(spanName, opts, parent);
    return context.with(
      trace.setSpan(parent, s),
      fn as (span: Span) => ReturnType<F>,
      undefined,
      s,
    );
  }
  return { startSpan, startActiveSpan } as Tracer;
}

const routingProvider: TracerProvider = { getTracer: routedTracer };
let routingInstalled: boolean | undefined;

/**
 * Registers, once per process, a global tracer provider that sends each span
 * started with the plain OpenTelemetry API to the capture found in the span's
 * parent context ({@link setTraceCapture}), and makes spans outside any
 * capture no-ops. Concurrent tests stay apart because the decision is made per
 * span from its own context. Returns `false` when another global tracer
 * provider was registered first (then only Groundwork's span functions reach
 * the capture).
 */
export function routeGlobalTracer(): boolean {
  routingInstalled ??= trace.setGlobalTracerProvider(routingProvider);
  return routingInstalled;
}

/**
 * Creates an in-memory trace capture for one test: a tracer provider with
 * Groundwork's sampler whose processor keeps finished spans, a context that
 * routes spans into it, and accessors for spans and trace trees.
 *
 * @param options - service name, sampling, size bound, global API routing.
 * @returns the capture.
 * @throws {TestingError} `ERR_INVALID_OPTION` for a `maxSpans` that is not a positive
 *   integer or a `samplingRatio` outside [0, 1].
 * @example
 * ```ts
 * const traces = createTraceCapture();
 * await traces.run(() => span("request", () => span("db.query", () => query())));
 * expectTraceTree(traces.traces(), ["request", ["db.query"]]);
 * ```
 */
export function createTraceCapture(options: TraceCaptureOptions = {}): TraceCapture {
  const maxSpans = options.maxSpans ?? 100_000;
  checkCount("maxSpans", maxSpans);
  checkRatio(options.samplingRatio);
  let finished: ReadableSpan[] = [];
  let dropped = 0;
  let seq = 0;
  const startSeq = new WeakMap<object, number>();
  const keep = (s: ReadableSpan): void => {
    if (finished.length < maxSpans) finished.push(s);
    else dropped++;
  };
  const processor: SpanProcessor = {
    onStart(s) {
      startSeq.set(s, seq++);
    },
    onEnd: keep,
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const tracing = createTracing({
    serviceName: options.serviceName ?? "test",
    samplingRatio: options.samplingRatio ?? 1,
    spanProcessors: [processor],
  });
  if (options.routeGlobalApi !== false) routeGlobalTracer();
  const capture: TraceCapture = {
    tracer: tracing.tracer,
    provider: tracing.provider,
    context: ROOT_CONTEXT,
    run: (fn) => context.with(capture.context, fn),
    spans: () => finished.slice(),
    traces: () => buildTraceTrees(finished, (s) => startSeq.get(s)),
    reset() {
      finished = [];
      dropped = 0;
    },
    get dropped() {
      return dropped;
    },
    exporter: {
      export(spans, done) {
        // Spans started elsewhere have no start order here: trees place them by start time.
        for (const s of spans) keep(s);
        done({ code: 0 });
      },
      shutdown: () => Promise.resolve(),
      forceFlush: () => Promise.resolve(),
    },
  };
  (capture as { context: Context }).context = setTraceCapture(ROOT_CONTEXT, capture);
  return capture;
}
