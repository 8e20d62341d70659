// Ended spans of many shapes, for the tests that compare an OTLP encoding of spans with the
// OpenTelemetry transformer's. Imports nothing from Node, so workerd tests can use it.
import {
  type Attributes,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
} from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  type ReadableSpan,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/** Options of {@link recordVariedSpans}. */
export interface VariedSpansOptions {
  /**
   * Add the values encoders get wrong most easily: an empty string, text with non-ASCII
   * characters and lone surrogates, negative integers, NaN, a link to a remote span, an
   * event without attributes and one with non-ASCII keys. Default `false`.
   */
  edgeCases?: boolean;
}

/** A span context of a caller in another process, for links. */
const REMOTE = {
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
};

/**
 * Ends `count` pairs of spans (a SERVER parent and a child of every span kind in turn, with
 * scalar and array attributes, a link, events and OK or ERROR status) on two resources and
 * three instrumentation scopes, and returns the `2 * count` spans in the order they ended.
 *
 * @param count - pairs of spans to record
 * @param options - see {@link VariedSpansOptions}; default `{}`
 * @returns the ended spans
 * @example
 * ```ts
 * const spans = recordVariedSpans(12, { edgeCases: true });
 * const body = ProtobufTraceSerializer.serializeRequest(spans);
 * ```
 */
export function recordVariedSpans(count: number, options: VariedSpansOptions = {}): ReadableSpan[] {
  const edgeCases = options.edgeCases ?? false;
  const ended: ReadableSpan[] = [];
  const collect: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span) => {
      ended.push(span);
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const providers = [
    new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "orders", "service.version": "1.2.3" }),
      spanProcessors: [collect],
    }),
    new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "billing", "host.cores": 2 }),
      spanProcessors: [collect],
    }),
  ];
  const tracers: Tracer[] = [
    providers[0]!.getTracer("http", "0.1.0"),
    providers[0]!.getTracer("db"),
    providers[1]!.getTracer("http", "0.1.0"),
  ];
  for (let i = 0; i < count; i++) {
    const tracer = tracers[i % tracers.length]!;
    const parent = tracer.startSpan(`parent ${i}`, { kind: SpanKind.SERVER });
    const attributes: Attributes = { "http.route": "/orders/:id", n: i };
    if (edgeCases) {
      attributes.empty = "";
      attributes.text = "naïve ✓ 🚀, lone \ud800 and \udc00 surrogates, last \ud83d";
      attributes.negative = -i - 1;
      attributes.nan = Number.NaN;
    }
    Object.assign(attributes, {
      ratio: i / 7,
      big: 2 ** 60,
      ok: i % 2 === 0,
      tags: ["a", "b", `${i}`],
      counts: [1, 2.5, edgeCases ? -i : i],
      flags: [true, false],
    });
    const span = tracer.startSpan(`work ${i} ✓`, {
      kind: (i % 5) as SpanKind,
      attributes,
      links: [
        { context: parent.spanContext(), attributes: { why: "follows" } },
        ...(edgeCases ? [{ context: REMOTE }] : []),
      ],
    });
    span.addEvent("cache miss", edgeCases ? { key: `k${i}`, é: "ü" } : { key: `k${i}` });
    if (edgeCases) span.addEvent("bare");
    span.setStatus(
      i % 3 === 0
        ? { code: SpanStatusCode.ERROR, message: "row is locked" }
        : { code: SpanStatusCode.OK },
    );
    span.end();
    parent.end();
  }
  return ended;
}
