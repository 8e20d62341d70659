import { type LogLevel, type LogRecord, type MemorySink, memorySink } from "@groundwork/core";
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
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import type { TailSampler } from "../sampling";
import { invocationContext, recordError, runIn, traceparentOf } from "./core";
import type { ExportWindow } from "./export-window";
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
  /** Spans started in the invocation (its own aside) that have not ended yet. */
  readonly open: Set<object>;
  /** Runs `fn` inside the invocation's context. */
  run<R>(fn: () => R): R;
  /** The `traceparent` of the invocation span. */
  traceparent(): string | undefined;
  /**
   * Ends the invocation span (once) with the given status and outcome, and the clock with
   * it; what ends later (a streamed body) is not counted.
   */
  end(status: string, outcome: Outcome, error?: unknown): void;
  /**
   * Marks the response as handed to the runtime, with the status it will end with: the
   * `waitUntil` budget counts from here, even while a streamed body is still being sent.
   */
  responded(status: string, outcome: Outcome): void;
  /**
   * Waits for the end and the handler's own `waitUntil` work, writes the logs, and leaves
   * the invocation's telemetry to the isolate's next export (see {@link ExportWindow}).
   *
   * @param immediate - export without waiting for other invocations (no execution context:
   *   the caller awaits this before returning)
   */
  finish(immediate?: boolean): Promise<void>;
}

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
  let resolveResponded: () => void = () => {};
  const respondedPromise = new Promise<void>((resolve) => {
    resolveResponded = resolve;
  });
  let status = "";
  let outcome: Outcome = "ok";
  let durationMs = 0;
  const open = new Set<object>();

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
    open,
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
      resolveResponded();
    },
    responded(pendingStatus, pendingOutcome) {
      if (!ended) {
        status = pendingStatus;
        outcome = pendingOutcome;
      }
      resolveResponded();
    },
    async finish(immediate = false) {
      await respondedPromise;
      // A streamed body, and the work the handler handed to waitUntil, may log and make
      // spans: wait for them so that they are written and exported too. Past the budget the
      // export goes ahead without them, inside the runtime's own limit, and what was not
      // finished by then is counted as cut.
      let capped = false;
      let timer: TimerHandle | undefined;
      let cap: Promise<void> | undefined;
      // The budget timer is armed only when there is something to wait for: an invocation
      // that has ended by its response and handed nothing to waitUntil (most scheduled
      // events, a response without a body) goes on without one.
      const budget = (): Promise<void> => {
        cap ??= new Promise<void>((resolve) => {
          timer = setUnrefTimeout(() => {
            capped = true;
            resolve();
          }, options.waitUntilBudgetMs);
        });
        return cap;
      };
      if (!ended) await Promise.race([endedPromise, budget()]);
      let seen = 0;
      while (seen < waits.length && !capped) {
        const batch = waits.slice(seen);
        seen = waits.length;
        await Promise.race([Promise.allSettled(batch), budget()]);
      }
      clearTimer(timer);
      let cut = 0;
      if (capped) {
        cut = open.size;
        if (!ended) {
          durationMs = monotonicNow() - startedAt;
          if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) cut++;
        }
        if (cut > 0) state.spans.cut(cut, "unfinished");
      }
      const end = () => ({ status, outcome, durationMs, startedEpoch, cut });
      const written = writeLogs(invocation, end());
      state.logs?.enqueue(written);
      state.metrics?.record(
        { api: invocation.api, resource: invocation.resource, method: invocation.method, status },
        durationMs / 1000,
      );
      if (options.tailSampler !== undefined) {
        state.spans.settle(group, decide(options.tailSampler, invocation, end()));
      }
      // Everything of this invocation is in the isolate's buffers now (plain data): it goes
      // out with the export scheduled next, or this invocation schedules that export.
      await state.window.join(immediate ? 0 : options.exportDelayMs, async () => {
        const deadline = Date.now() + options.exportTimeoutMs;
        const [left] = await Promise.all([
          state.spans.exportPending(deadline),
          state.metrics?.push(),
          state.logs?.exportPending(deadline),
        ]);
        if (left > 0) warnCut(invocation, left, "deadline");
      });
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

/** Why spans were cut from an invocation's export (see {@link SpanBuffer.cut}). */
export type CutReason = "unfinished" | "deadline";

const CUT_MESSAGES: Record<CutReason, string> = {
  unfinished: "spans not finished within the waitUntil budget were cut from the export",
  deadline: "spans still queued at the export deadline were left for a later invocation",
};

/** The warning entry written when spans were cut from an invocation's export. */
function cutEntry(invocation: Invocation, count: number, reason: CutReason) {
  const options = invocation.state.options;
  const entry: Record<string, unknown> = {
    time: new Date().toISOString(),
    level: "warn",
    msg: CUT_MESSAGES[reason],
    type: "meta",
    spans_cut: count,
    reason,
    waituntil_budget_ms: options.waitUntilBudgetMs,
    export_timeout_ms: options.exportTimeoutMs,
    trace_id: invocation.span.spanContext().traceId,
    service: options.serviceName,
  };
  if (options.serviceVersion !== undefined) entry.version = options.serviceVersion;
  return entry;
}

function warnCut(invocation: Invocation, count: number, reason: CutReason): void {
  write(runtimeGlobal<ConsoleLike>("console"), "warn", cutEntry(invocation, count, reason));
}

function writeLogs(
  invocation: Invocation,
  end: { status: string; outcome: Outcome; durationMs: number; startedEpoch: number; cut: number },
): LogRecord[] {
  const out = runtimeGlobal<ConsoleLike>("console");
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
  const logsDropped = invocation.state.logs?.stats().dropped ?? 0;
  if (logsDropped > 0) meta.isolate_logs_dropped = logsDropped;
  if (end.cut > 0) meta.spans_cut = end.cut;
  write(out, meta.level as string, meta);
  if (end.cut > 0) write(out, "warn", cutEntry(invocation, end.cut, "unfinished"));
  for (const record of records) write(out, record.level, entry(record, sc.traceId, service));
  const sink = options.exporters.logs;
  // The records as records are only for a log exporter or sink.
  if (sink === undefined && invocation.state.logs === undefined) return [];
  const { time: _, level, msg, trace_id: __, span_id: ___, ...fields } = meta;
  const start: LogRecord = {
    time: end.startedEpoch,
    level: level as LogLevel,
    msg: msg as string,
    fields,
    traceId: sc.traceId,
    spanId: sc.spanId,
    traceFlags: sc.traceFlags,
    ...service,
  };
  const all = [start, ...records];
  if (sink !== undefined) {
    for (const record of all) {
      try {
        sink.write(record);
      } catch {
        // A failing sink loses the record, not the invocation.
      }
    }
  }
  return all;
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

function write(out: ConsoleLike | undefined, level: string, value: Record<string, unknown>): void {
  if (out === undefined) return;
  try {
    out[consoleMethod(level)](value);
  } catch {
    // A console that throws loses the line, not the invocation.
  }
}
