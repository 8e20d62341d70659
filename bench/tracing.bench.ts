// Span creation cost against the raw OpenTelemetry SDK, in one process run.
// Both sides use a BasicTracerProvider with the same counting processor; ours
// goes through span() (context lookup of the tracer, our sampler, automatic
// end), the peer calls tracer.startActiveSpan and ends the span itself.
// Under an unsampled parent span() does not create a child at all (the
// sampler would drop it), which is where its large ratio comes from.
import { span, startTrace } from "@groundwork/core";
import { createTracing, setTracer } from "@groundwork/core/tracing";
import { type Context, context, ROOT_CONTEXT, type Span, trace } from "@opentelemetry/api";
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { compare } from "./compare";

function countingProcessor(): SpanProcessor & { ended: number } {
  return {
    ended: 0,
    onStart() {},
    onEnd(this: { ended: number }, _span: ReadableSpan) {
      this.ended++;
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

const oursProcessor = countingProcessor();
const peerProcessor = countingProcessor();
const tracing = createTracing({ serviceName: "bench", spanProcessors: [oursProcessor] });
const peerTracer = new BasicTracerProvider({
  sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  spanProcessors: [peerProcessor],
}).getTracer("bench");

const attributes = { "http.route": "/v1/orders/:id", "order.items": 3, "order.paid": true };
const peerOptions = { attributes };
const noop = () => undefined;
const endIt = (s: Span) => s.end();

function parentContext(sampled: boolean): Context {
  const parent = trace.wrapSpanContext({
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: sampled ? 1 : 0,
  });
  return setTracer(trace.setSpan(ROOT_CONTEXT, parent), tracing.tracer);
}

// Both sides must do the same work: check that each records (or skips) the span.
function check(ctx: Context, expectEnded: number) {
  const before = [oursProcessor.ended, peerProcessor.ended];
  context.with(ctx, () => {
    span("child", peerOptions, noop);
    peerTracer.startActiveSpan("child", peerOptions, endIt);
  });
  const delta = [oursProcessor.ended - before[0]!, peerProcessor.ended - before[1]!];
  if (delta[0] !== expectEnded || delta[1] !== expectEnded) {
    throw new Error(`benchmark sides disagree: ended ${delta.join(" vs ")}, wanted ${expectEnded}`);
  }
}

const unsampledTracing = createTracing({
  serviceName: "bench",
  samplingRatio: 0,
  spanProcessors: [oursProcessor],
});
const unsampledRoot = setTracer(ROOT_CONTEXT, unsampledTracing.tracer);

const sampled = parentContext(true);
const unsampled = parentContext(false);
check(sampled, 1);
check(unsampled, 0);

await context.with(sampled, () =>
  compare(
    "Tracing, sampled parent",
    "@opentelemetry/sdk-trace-base",
    [
      {
        name: "child span, 3 attributes, sampled",
        ours: () => span("child", peerOptions, noop),
        peer: () => peerTracer.startActiveSpan("child", peerOptions, endIt),
        batch: 100,
      },
      {
        name: "new root trace, 3 attributes",
        ours: () => startTrace("root", peerOptions, noop),
        peer: () => peerTracer.startActiveSpan("root", { attributes, root: true }, endIt),
        batch: 100,
      },
      {
        // What a service with samplingRatio 0.01 pays on 99% of its requests,
        // against the SDK's cost of a sampled root (target: ratio >= 5).
        name: "new root trace, unsampled (ratio 0) vs SDK sampled root",
        ours: () => context.with(unsampledRoot, () => startTrace("root", peerOptions, noop)),
        peer: () =>
          context.with(unsampledRoot, () =>
            peerTracer.startActiveSpan("root", { attributes, root: true }, endIt),
          ),
        batch: 100,
      },
    ],
    { timeMs: 1000, rounds: 7 },
  ),
);

await context.with(unsampled, () =>
  compare(
    "Tracing, unsampled parent",
    "@opentelemetry/sdk-trace-base",
    [
      {
        name: "child span, 3 attributes, unsampled",
        ours: () => span("child", peerOptions, noop),
        peer: () => peerTracer.startActiveSpan("child", peerOptions, endIt),
        batch: 100,
      },
    ],
    { timeMs: 1000, rounds: 7 },
  ),
);
