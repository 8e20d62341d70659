import type { Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeError } from "../errors";

/** Options of {@link createTraceBuffer}. */
export interface TraceBufferOptions {
  /** Traces kept; the oldest is forgotten when a new one arrives. Default 100. */
  maxTraces?: number;
  /** Spans kept per trace; later ones are counted in `dropped_spans`. Default 500. */
  maxSpansPerTrace?: number;
  /** Spans kept in all; the oldest traces are forgotten beyond it. Default 5000. */
  maxSpans?: number;
}

/** One span of a trace as `/debug/traces` shows it, with its children nested. */
export interface TraceSpanJson {
  /** The span name. */
  name: string;
  /** 16 lowercase hex digits. */
  span_id: string;
  /** The parent's span id; absent for a root. */
  parent_span_id?: string;
  /** `INTERNAL`, `SERVER`, `CLIENT`, `PRODUCER` or `CONSUMER`. */
  kind: string;
  /** Start time, ISO 8601. */
  start: string;
  /** Duration in milliseconds (microsecond precision). */
  duration_ms: number;
  /** `UNSET`, `OK` or `ERROR`. */
  status: string;
  /** The status description, when one was set. */
  status_message?: string;
  /** The span's attributes. */
  attributes: Record<string, unknown>;
  /** Span events (log records among them), with ISO 8601 times. */
  events: { name: string; time: string; attributes: Record<string, unknown> }[];
  /** Links to other spans (forked traces link back to their origin). */
  links: { trace_id: string; span_id: string; attributes: Record<string, unknown> }[];
  /** Child spans kept in the buffer, by start time. */
  children: TraceSpanJson[];
}

/** One trace as `/debug/traces` shows it: its spans as trees (several roots when the parent was remote or not kept). */
export interface TraceJson {
  /** 32 lowercase hex digits. */
  trace_id: string;
  /** Name of the earliest span whose parent is not kept (the root, for a trace started here). */
  name: string;
  /** Earliest start of a kept span, ISO 8601. */
  start: string;
  /** From the earliest start to the latest end, in milliseconds. */
  duration_ms: number;
  /** Spans kept. */
  span_count: number;
  /** Spans over `maxSpansPerTrace` that were not kept. */
  dropped_spans: number;
  spans: TraceSpanJson[];
}

/** Recently finished sampled spans, grouped by trace, in bounded memory. */
export interface TraceBuffer {
  /** Feeds the buffer; pass it in `tracing.spanProcessors` of `createTelemetry`. */
  readonly processor: SpanProcessor;
  /**
   * The kept traces, most recent first, as JSON-ready trees. Work happens
   * here, not when spans end.
   *
   * @param limit - most traces returned. Default all kept.
   */
  traces(limit?: number): TraceJson[];
  /** Forgets every kept trace. */
  clear(): void;
}

interface Entry {
  spans: ReadableSpan[];
  dropped: number;
}

const KINDS = ["INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"] as const;
const STATUSES = ["UNSET", "OK", "ERROR"] as const;

type HrTime = readonly [number, number];
const hrMs = (time: HrTime): number => time[0] * 1e3 + time[1] / 1e6;
const iso = (time: HrTime): string => new Date(hrMs(time)).toISOString();
const round = (ms: number): number => Math.round(ms * 1000) / 1000;

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new NodeError("ERR_INVALID_OPTION", `${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function toJson(span: ReadableSpan): TraceSpanJson {
  const context = span.spanContext();
  const json: TraceSpanJson = {
    name: span.name,
    span_id: context.spanId,
    kind: KINDS[span.kind] ?? String(span.kind),
    start: iso(span.startTime),
    duration_ms: round(hrMs(span.duration)),
    status: STATUSES[span.status.code] ?? String(span.status.code),
    attributes: { ...span.attributes },
    events: span.events.map((event) => ({
      name: event.name,
      time: iso(event.time),
      attributes: { ...event.attributes },
    })),
    links: span.links.map((link) => ({
      trace_id: link.context.traceId,
      span_id: link.context.spanId,
      attributes: { ...link.attributes },
    })),
    children: [],
  };
  const parent = span.parentSpanContext?.spanId;
  if (parent !== undefined) json.parent_span_id = parent;
  if (span.status.message !== undefined && span.status.message !== "") {
    json.status_message = span.status.message;
  }
  return json;
}

function traceJson(traceId: string, entry: Entry): TraceJson {
  const nodes = entry.spans.map(toJson);
  // ISO strings have millisecond precision; siblings are ordered by the span's own clock.
  const startOf = new Map(
    nodes.map((node, i) => [node, hrMs((entry.spans[i] as ReadableSpan).startTime)]),
  );
  const byId = new Map(nodes.map((node) => [node.span_id, node]));
  const roots: TraceSpanJson[] = [];
  for (const node of nodes) {
    const parent = node.parent_span_id === undefined ? undefined : byId.get(node.parent_span_id);
    if (parent === undefined) roots.push(node);
    else parent.children.push(node);
  }
  const byStart = (a: TraceSpanJson, b: TraceSpanJson) =>
    (startOf.get(a) ?? 0) - (startOf.get(b) ?? 0);
  for (const node of nodes) node.children.sort(byStart);
  roots.sort(byStart);
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (const span of entry.spans) {
    start = Math.min(start, hrMs(span.startTime));
    end = Math.max(end, hrMs(span.endTime));
  }
  return {
    trace_id: traceId,
    name: (roots[0] as TraceSpanJson).name,
    start: new Date(start).toISOString(),
    duration_ms: round(end - start),
    span_count: entry.spans.length,
    dropped_spans: entry.dropped,
    spans: roots,
  };
}

/**
 * Creates a bounded ring of recently finished sampled traces, the source of
 * the telemetry server's `/debug/traces`. Its span processor only keeps a
 * reference to each finished span (unsampled spans never reach it); the JSON
 * trees are built when {@link TraceBuffer.traces} is called. A trace whose
 * spans arrive over time stays one entry and moves to the front.
 *
 * @param options - `maxTraces` (default 100), `maxSpansPerTrace` (default 500), `maxSpans` in all (default 5000)
 * @returns the buffer and its span processor
 * @throws NodeError `ERR_INVALID_OPTION` when a bound is not a positive integer
 * @example
 * ```ts
 * import { createTelemetry } from "@groundwork/core";
 * import { createTraceBuffer } from "@groundwork/node";
 *
 * const buffer = createTraceBuffer({ maxTraces: 50 });
 * const telemetry = createTelemetry({
 *   serviceName: "api",
 *   tracing: { spanProcessors: [buffer.processor] },
 * });
 * buffer.traces(10); // the ten most recent traces, as trees
 * ```
 */
export function createTraceBuffer(options: TraceBufferOptions = {}): TraceBuffer {
  const maxTraces = positiveInt("maxTraces", options.maxTraces, 100);
  const maxSpans = positiveInt("maxSpansPerTrace", options.maxSpansPerTrace, 500);
  const maxTotal = positiveInt("maxSpans", options.maxSpans, 5000);
  let total = 0;
  // Map iteration order is insertion order: re-inserting a trace moves it to the end (newest).
  const entries = new Map<string, Entry>();

  const processor: SpanProcessor = {
    onStart(_span: Span, _parentContext: Context): void {},
    onEnd(span: ReadableSpan): void {
      const traceId = span.spanContext().traceId;
      let entry = entries.get(traceId);
      if (entry === undefined) {
        entry = { spans: [], dropped: 0 };
        if (entries.size >= maxTraces) {
          const oldest = entries.entries().next().value;
          if (oldest !== undefined) {
            entries.delete(oldest[0]);
            total -= oldest[1].spans.length;
          }
        }
      } else {
        entries.delete(traceId);
      }
      entries.set(traceId, entry);
      if (entry.spans.length >= maxSpans) {
        entry.dropped++;
        return;
      }
      entry.spans.push(span);
      total++;
      // Forget whole traces, oldest first, until the total fits (never the one just fed).
      for (const [oldId, old] of entries) {
        if (total <= maxTotal || old === entry) break;
        entries.delete(oldId);
        total -= old.spans.length;
      }
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };

  return {
    processor,
    traces(limit) {
      const newest = [...entries].reverse();
      const kept = limit === undefined ? newest : newest.slice(0, Math.max(0, limit));
      return kept.map(([traceId, entry]) => traceJson(traceId, entry));
    },
    clear() {
      entries.clear();
      total = 0;
    },
  };
}
