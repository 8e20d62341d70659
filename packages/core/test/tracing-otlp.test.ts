import { type ReceivedSpan, useOtlpReceiver } from "@groundwork/test-harness";
import { context, ROOT_CONTEXT, SpanKind } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { addSpanEvent, injectHeaders, span, startTrace, withForkedTrace } from "../src/index";
import {
  createBatchSpanProcessor,
  createOtlpTraceExporter,
  type OtlpProtocol,
} from "../src/otlp/index";
import {
  ATTR_FORK_NAME,
  ATTR_FORK_SPAN_ID,
  ATTR_FORK_TRACE_ID,
  ATTR_LINK_RELATION,
  createTracing,
  FORK_EVENT_NAME,
  TRACER_NAME,
} from "../src/tracing/index";

// Forked and stitched traces go through the real exporter and batch processor
// to a receiver that decodes them with the official OTLP protobuf definitions.

const receiver = useOtlpReceiver();

const REMOTE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const REMOTE_SPAN = "00f067aa0ba902b7";

function setup(protocol: OtlpProtocol) {
  const processor = createBatchSpanProcessor(
    createOtlpTraceExporter({ endpoint: receiver.endpoint("traces"), protocol }),
    { scheduledDelayMs: 60_000 },
  );
  const tracing = createTracing({
    serviceName: "orders",
    serviceVersion: "2.0.0",
    resourceAttributes: { "deployment.environment.name": "test" },
    spanProcessors: [processor],
  });
  const run = <R>(fn: () => R): R => context.with(tracing.context(ROOT_CONTEXT), fn);
  return { tracing, processor, run };
}

function find(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`span ${name} not received; got ${spans.map((x) => x.name).join(", ")}`);
  return s;
}

/** A request continuing a remote trace, with a failing step and a forked background job. */
async function handleRequest(traceFlags: "01" | "00", forkRatio?: number) {
  const headers = new Headers({
    traceparent: `00-${REMOTE_TRACE}-${REMOTE_SPAN}-${traceFlags}`,
    tracestate: "upstream=a1",
    baggage: "tenant=acme",
  });
  let outgoing: Record<string, string> = {};
  await startTrace(
    "POST /orders",
    {
      stitchWith: headers,
      kind: SpanKind.SERVER,
      attributes: { "http.request.method": "POST", "order.items": 3, "order.total": 42.5 },
    },
    async () => {
      await span("validate", async () => {
        addSpanEvent("validation.rule", { "rule.name": "stock", passed: true });
      });
      await span("charge card", async () => {
        throw new Error("card declined");
      }).catch(() => undefined);
      await withForkedTrace(
        "send receipt",
        forkRatio === undefined ? {} : { samplingRatio: forkRatio },
        async () => {
          await span("smtp send", { attributes: { "smtp.recipients": 2 } }, async () => undefined);
        },
      );
      outgoing = injectHeaders({});
    },
  );
  return outgoing;
}

describe.each(["http/protobuf", "http/json"] as const)("tracing over OTLP (%s)", (protocol) => {
  it("exports stitched and forked traces with links, parents, attributes, events, status and resource", async () => {
    const { tracing, run, processor } = setup(protocol);
    const outgoing = await run(() => handleRequest("01"));
    await tracing.forceFlush();
    const spans = await receiver.waitForSpans(5);
    expect(spans).toHaveLength(5);
    expect(processor.stats()).toMatchObject({ exported: 5, dropped: 0, failed: 0 });

    const request = find(spans, "POST /orders");
    const validate = find(spans, "validate");
    const charge = find(spans, "charge card");
    const receipt = find(spans, "send receipt");
    const smtp = find(spans, "smtp send");

    // Stitched: the request continues the remote trace under the remote span.
    expect(request.traceId).toBe(REMOTE_TRACE);
    expect(request.parentSpanId).toBe(REMOTE_SPAN);
    expect(request.traceState).toBe("upstream=a1");
    expect(request.kind).toBe("SPAN_KIND_SERVER");
    expect(request.attributes).toEqual({
      "http.request.method": "POST",
      "order.items": 3,
      "order.total": 42.5,
    });
    expect(outgoing.traceparent).toBe(`00-${REMOTE_TRACE}-${request.spanId}-01`);
    expect(outgoing.baggage).toBe("tenant=acme");

    // Children.
    for (const child of [validate, charge]) {
      expect(child.traceId).toBe(REMOTE_TRACE);
      expect(child.parentSpanId).toBe(request.spanId);
      expect(child.kind).toBe("SPAN_KIND_INTERNAL");
    }
    expect(validate.events).toEqual([
      expect.objectContaining({
        name: "validation.rule",
        attributes: { "rule.name": "stock", passed: true },
      }),
    ]);
    expect(validate.status.code).toBe("STATUS_CODE_UNSET");
    expect(charge.status).toEqual({ code: "STATUS_CODE_ERROR", message: "card declined" });
    expect(charge.events[0]?.name).toBe("exception");
    expect(charge.events[0]?.attributes).toMatchObject({
      "exception.type": "Error",
      "exception.message": "card declined",
    });

    // Forked: a new trace whose root links back, and the request records the fork.
    expect(receipt.traceId).not.toBe(REMOTE_TRACE);
    expect(receipt.parentSpanId).toBeUndefined();
    expect(receipt.links).toEqual([
      expect.objectContaining({
        traceId: REMOTE_TRACE,
        spanId: request.spanId,
        attributes: { [ATTR_LINK_RELATION]: "forked_from" },
      }),
    ]);
    expect(request.links).toEqual([
      expect.objectContaining({
        traceId: receipt.traceId,
        spanId: receipt.spanId,
        attributes: { [ATTR_LINK_RELATION]: "forked_to" },
      }),
    ]);
    expect(request.events.find((e) => e.name === FORK_EVENT_NAME)?.attributes).toEqual({
      [ATTR_FORK_TRACE_ID]: receipt.traceId,
      [ATTR_FORK_SPAN_ID]: receipt.spanId,
      [ATTR_FORK_NAME]: "send receipt",
    });
    expect(smtp.traceId).toBe(receipt.traceId);
    expect(smtp.parentSpanId).toBe(receipt.spanId);
    expect(smtp.attributes).toEqual({ "smtp.recipients": 2 });
    expect(smtp.flags & 0x01).toBe(1);

    // Resource and scope on every span.
    for (const s of spans) {
      expect(s.resource).toMatchObject({
        "service.name": "orders",
        "service.version": "2.0.0",
        "deployment.environment.name": "test",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": "nodejs",
      });
      expect(s.scope.name).toBe(TRACER_NAME);
    }
    await tracing.shutdown();
  });

  it("exports nothing for an unsampled remote parent, except a fork given its own ratio", async () => {
    const { tracing, run, processor } = setup(protocol);
    await run(() => handleRequest("00"));
    await tracing.forceFlush();
    expect(receiver.traces()).toEqual([]);
    expect(processor.stats().queued).toBe(0);

    await run(() => handleRequest("00", 1));
    await tracing.forceFlush();
    const spans = await receiver.waitForSpans(2);
    expect(spans.map((s) => s.name).sort()).toEqual(["send receipt", "smtp send"]);
    const receipt = find(spans, "send receipt");
    // The link still leads back to the (unrecorded) request span in the remote trace.
    expect(receipt.links[0]?.traceId).toBe(REMOTE_TRACE);
    await tracing.shutdown();
  });
});
