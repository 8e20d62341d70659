import { type Attributes, type HrTime, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";

/** Span kind as a readable name. */
export type TraceNodeKind = "INTERNAL" | "SERVER" | "CLIENT" | "PRODUCER" | "CONSUMER";

/** Span status as a readable code. */
export interface TraceNodeStatus {
  code: "UNSET" | "OK" | "ERROR";
  message?: string;
}

/** An event recorded on a span (log records attached as events included). */
export interface TraceNodeEvent {
  name: string;
  attributes: Attributes;
}

/** A link from a span to another span, possibly in another trace. */
export interface TraceNodeLink {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

/** One span of a captured trace, with its children in start order. */
export interface TraceNode {
  name: string;
  kind: TraceNodeKind;
  attributes: Attributes;
  events: TraceNodeEvent[];
  links: TraceNodeLink[];
  status: TraceNodeStatus;
  children: TraceNode[];
  traceId: string;
  spanId: string;
  /** Id of the parent span when it is not part of the capture (e.g. a remote parent). */
  remoteParentSpanId?: string;
  /** Start and end time, for tests about durations; renderers ignore them. */
  startTime: HrTime;
  endTime: HrTime;
}

const KINDS: Record<number, TraceNodeKind> = {
  [SpanKind.INTERNAL]: "INTERNAL",
  [SpanKind.SERVER]: "SERVER",
  [SpanKind.CLIENT]: "CLIENT",
  [SpanKind.PRODUCER]: "PRODUCER",
  [SpanKind.CONSUMER]: "CONSUMER",
};

function toStatus(s: ReadableSpan): TraceNodeStatus {
  const code =
    s.status.code === SpanStatusCode.ERROR
      ? "ERROR"
      : s.status.code === SpanStatusCode.OK
        ? "OK"
        : "UNSET";
  return s.status.message ? { code, message: s.status.message } : { code };
}

function compareHr(a: HrTime, b: HrTime): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * `spans` by start time; then the spans whose start order is known are put
 * in that order, in the places those spans hold (so spans of unknown order
 * stay where their start time puts them, and the order stays consistent).
 */
function inStartOrder(
  spans: readonly ReadableSpan[],
  startOrder: ((span: ReadableSpan) => number | undefined) | undefined,
): ReadableSpan[] {
  const byTime = spans
    .map((span, index) => ({ span, index, seq: startOrder?.(span) }))
    .sort((a, b) => compareHr(a.span.startTime, b.span.startTime) || a.index - b.index);
  const known = byTime
    .filter((x) => x.seq !== undefined)
    .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  let next = 0;
  return byTime.map((x) => (x.seq === undefined ? x : (known[next++] ?? x)).span);
}

/**
 * Builds trace trees from finished spans: one root per trace (or several
 * when a parent is not in the set, e.g. still running or remote), children
 * in start order, traces in the order their first span started.
 *
 * @param spans - finished spans, in any order.
 * @param startOrder - optional: the order spans were started in, `undefined`
 *   for a span whose start was not seen. Spans with a known order follow it
 *   (start times need not: a plain OpenTelemetry tracer stamps spans with
 *   a millisecond wall clock, Groundwork with a monotonic one); the others
 *   keep their place by start time. Default: start time, then input order.
 * @returns the root nodes.
 * @example
 * ```ts
 * const roots = buildTraceTrees(exporter.getFinishedSpans());
 * ```
 */
export function buildTraceTrees(
  spans: readonly ReadableSpan[],
  startOrder?: (span: ReadableSpan) => number | undefined,
): TraceNode[] {
  const sorted = inStartOrder(spans, startOrder);
  const nodes = new Map<string, TraceNode>();
  const key = (traceId: string, spanId: string) => `${traceId}/${spanId}`;
  for (const s of sorted) {
    const sc = s.spanContext();
    nodes.set(key(sc.traceId, sc.spanId), {
      name: s.name,
      kind: KINDS[s.kind] ?? "INTERNAL",
      attributes: { ...s.attributes },
      events: s.events.map((e) => ({ name: e.name, attributes: { ...e.attributes } })),
      links: s.links.map((l) => ({
        traceId: l.context.traceId,
        spanId: l.context.spanId,
        attributes: { ...l.attributes },
      })),
      status: toStatus(s),
      children: [],
      traceId: sc.traceId,
      spanId: sc.spanId,
      startTime: s.startTime,
      endTime: s.endTime,
    });
  }
  const roots: TraceNode[] = [];
  for (const s of sorted) {
    const sc = s.spanContext();
    const node = nodes.get(key(sc.traceId, sc.spanId))!;
    const parentId = s.parentSpanContext?.spanId;
    const parent = parentId === undefined ? undefined : nodes.get(key(sc.traceId, parentId));
    if (parent !== undefined) {
      parent.children.push(node);
    } else {
      if (parentId !== undefined) node.remoteParentSpanId = parentId;
      roots.push(node);
    }
  }
  return roots;
}
