import { type LogRecord, type MemorySink, memorySink } from "@groundwork/core";
import {
  clearTimer,
  monotonicNow,
  runtimeGlobal,
  setUnrefTimeout,
  type TimerHandle,
} from "@groundwork/platform";
import {
  type Attributes,
  type Context,
  createContextKey,
  type Link,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { TailSampler } from "../sampling";
import { invocationContext, recordError, runIn, traceparentOf } from "./core";
import type { IsolateState } from "./isolate";
import { createSpanGroup, type SpanGroup } from "./span-buffer";

/** How an invocation ended. */
export type Outcome = "ok" | "error" | "exception" | "canceled";

/** One invocation: its context, server span, log buffer and clock. */
export interface Invocation {
  readonly state: IsolateState;
  /** The invocation's OpenTelemetry context: its log, the tracer, the invocation span. */
  readonly otel: Context;
  readonly span: Span;
  readonly sink: MemorySink;
  /** The invocation's spans, held back while a tail sampler has not decided. */
  readonly group: SpanGroup;
  readonly api: string;
  readonly resource: string;
  readonly method: string;
  /** Promises the handler passed to `ctx.waitUntil`, awaited before the export. */
  readonly waits: Promise<unknown>[];
  /** Runs `fn` inside the invocation's context. */
  run<R>(fn: () => R): R;
  /** The `traceparent` of the invocation span. */
  traceparent(): string | undefined;
  /**
   * Ends the invocation span (once) with the given status and outcome, and the clock with
   * it; what ends later (a streamed body) is not counted.
   */
  end(status: string, outcome: Outcome, error?: unknown): void;
  /** Waits for the end and the handler's own `waitUntil` work, writes the logs, exports. */
  finish(): Promise<void>;
}

/**
 * How long the export waits for the work the handler passed to `waitUntil` (the runtime
 * allows 30 s after the response in all): longer work is not waited for.
 */
const WAIT_UNTIL_CAP_MS = 20_000;

/** Context key of the invocation an OpenTelemetry context belongs to. */
const INVOCATION_KEY = createContextKey("groundwork.worker.invocation");

/** The invocation `otel` belongs to, if any. */
export function invocationOf(otel: Context): Invocation | undefined {
  return otel.getValue(INVOCATION_KEY) as Invocation | undefined;
}

export interface InvocationStart {
  /** Span name. */
  name: string;
  kind: SpanKind;
  attributes: Attributes;
  /** Headers carrying a remote parent (`traceparent`), if any. */
  headers?: Headers;
  /** Links of the invocation span (the producers of a queue batch's messages). */
  links?: Link[];
  /** Dimensions of the meta entry and metrics. */
  resource: string;
  method: string;
}

interface ConsoleLike {
  log(value: unknown): void;
  debug(value: unknown): void;
  info(value: unknown): void;
  warn(value: unknown): void;
  error(value: unknown): void;
}

function consoleMethod(level: string): keyof ConsoleLike {
  switch (level) {
    case "trace":
    case "debug":
      return "debug";
    case "warn":
      return "warn";
    case "error":
    case "fatal":
      return "error";
    default:
      return "log";
  }
}

/** Starts an invocation: its log, its span (continuing a remote parent), its clock. */
export function startInvocation(state: IsolateState, start: InvocationStart): Invocation {
  const options = state.options;
  const sink = memorySink({ maxRecords: options.maxRecords });
  const base = invocationContext(
    {
      serviceName: options.serviceName,
      serviceVersion: options.serviceVersion,
      level: options.logLevel,
      redactKeys: options.redactKeys,
      spanEvents: options.spanEvents,
      fields: options.fields,
      sink,
    },
    state.tracing,
    start.headers,
  );
  const span = state.tracing.tracer.startSpan(
    start.name,
    {
      kind: start.kind,
      attributes: start.attributes,
      ...(start.links === undefined ? {} : { links: start.links }),
    },
    base,
  );
  const startedAt = monotonicNow();
  const startedEpoch = Date.now();
  const waits: Promise<unknown>[] = [];
  const group = createSpanGroup();
  state.spans.adopt(span, group);
  let ended = false;
  let resolveEnded: () => void = () => {};
  const endedPromise = new Promise<void>((resolve) => {
    resolveEnded = resolve;
  });
  let status = "";
  let outcome: Outcome = "ok";
  let durationMs = 0;

  const invocation: Invocation = {
    state,
    otel: undefined as unknown as Context,
    span,
    sink,
    group,
    api: options.api,
    resource: start.resource,
    method: start.method,
    waits,
    run: (fn) => runIn(invocation.otel, fn),
    traceparent: () => traceparentOf(span.spanContext()),
    end(endStatus, endOutcome, error) {
      if (ended) return;
      ended = true;
      status = endStatus;
      outcome = endOutcome;
      durationMs = monotonicNow() - startedAt;
      try {
        if (error !== undefined) recordError(span, error);
        else if (endOutcome === "error") span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      } catch {
        // A broken span must not keep the invocation from finishing.
      }
      resolveEnded();
    },
    async finish() {
      await endedPromise;
      // Work the handler handed to waitUntil may log and make spans: wait for it so that it
      // is written and exported too. Past WAIT_UNTIL_CAP_MS the export goes ahead without
      // it, inside the runtime's budget.
      if (waits.length > 0) {
        let capped = false;
        let timer: TimerHandle | undefined;
        const cap = new Promise<void>((resolve) => {
          timer = setUnrefTimeout(() => {
            capped = true;
            resolve();
          }, WAIT_UNTIL_CAP_MS);
        });
        let seen = 0;
        while (seen < waits.length && !capped) {
          const batch = waits.slice(seen);
          seen = waits.length;
          await Promise.race([Promise.allSettled(batch), cap]);
        }
        clearTimer(timer);
      }
      const end = () => ({ status, outcome, durationMs, startedEpoch });
      writeLogs(invocation, end());
      state.metrics?.record(
        { api: invocation.api, resource: invocation.resource, method: invocation.method, status },
        durationMs / 1000,
      );
      if (options.tailSampler !== undefined) {
        state.spans.settle(group, decide(options.tailSampler, invocation, end()));
      }
      const deadline = Date.now() + options.exportTimeoutMs;
      await Promise.all([state.spans.exportPending(deadline), state.metrics?.push()]);
    },
  };
  (invocation as { otel: Context }).otel = trace
    .setSpan(base, span)
    .setValue(INVOCATION_KEY, invocation);
  return invocation;
}

function decide(
  sampler: TailSampler,
  invocation: Invocation,
  end: { status: string; outcome: Outcome; durationMs: number },
): boolean {
  try {
    return (
      sampler({
        api: invocation.api,
        resource: invocation.resource,
        method: invocation.method,
        status: end.status,
        outcome: end.outcome,
        durationMs: end.durationMs,
        traceId: invocation.span.spanContext().traceId,
        spans: invocation.group.held.length,
      }) !== false
    );
  } catch {
    return true;
  }
}

function writeLogs(
  invocation: Invocation,
  end: { status: string; outcome: Outcome; durationMs: number; startedEpoch: number },
): void {
  const out = runtimeGlobal<ConsoleLike>("console");
  if (out === undefined) return;
  const sc = invocation.span.spanContext();
  const options = invocation.state.options;
  const service: Record<string, string> = { service: options.serviceName };
  if (options.serviceVersion !== undefined) service.version = options.serviceVersion;
  const records = invocation.sink.drain();
  const failed = end.outcome !== "ok" && end.outcome !== "canceled";
  const meta: Record<string, unknown> = {
    time: new Date(end.startedEpoch).toISOString(),
    level: failed ? "error" : "info",
    msg: "START",
    type: "meta",
    api: invocation.api,
    resource: invocation.resource,
    method: invocation.method,
    status: end.status,
    outcome: end.outcome,
    duration_ms: Math.round(end.durationMs * 1000) / 1000,
    logs: records.length,
    trace_id: sc.traceId,
    span_id: sc.spanId,
    ...service,
  };
  const dropped = invocation.sink.dropped();
  if (dropped > 0) meta.logs_dropped = dropped;
  // The isolate's running total: a growing number means the collector is too slow.
  const spansDropped = invocation.state.spans.stats().dropped;
  if (spansDropped > 0) meta.isolate_spans_dropped = spansDropped;
  write(out, meta.level as string, meta);
  for (const record of records) write(out, record.level, entry(record, sc.traceId, service));
}

function entry(
  record: LogRecord,
  traceId: string,
  service: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record.fields };
  out.time = new Date(record.time).toISOString();
  out.level = record.level;
  out.msg = record.msg;
  out.trace_id = record.traceId ?? traceId;
  if (record.spanId !== undefined) out.span_id = record.spanId;
  return Object.assign(out, service);
}

function write(out: ConsoleLike, level: string, value: Record<string, unknown>): void {
  try {
    out[consoleMethod(level)](value);
  } catch {
    // A console that throws loses the line, not the invocation.
  }
}
