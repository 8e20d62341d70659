import { useOtlpReceiver } from "@groundwork/test-harness";
import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import {
  createOtlpTraceExporter,
  jsonTraceEncoding,
  type OtlpFetch,
  type OtlpProtocol,
  protobufTraceEncoding,
} from "../src/otlp/index";
import { ENCODE_SLICE_SIZE, encodeSpans, encodeSpansInSlices } from "../src/otlp/span-encoding";

// A large batch is encoded a slice at a time, giving the event loop a turn in between; the
// request it makes decodes, with the official definitions, to the same spans as the batch
// encoded in one go by the OpenTelemetry transformer.

const receiver = useOtlpReceiver();

/** Ends `count` spans of varied shapes on two resources and three scopes. */
function recordVaried(count: number): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const collect = {
    onStart: () => undefined,
    onEnd: (span: ReadableSpan) => ended.push(span),
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
    const span = tracer.startSpan(`work ${i} ✓`, {
      kind: (i % 5) as SpanKind,
      attributes: {
        "http.route": "/orders/:id",
        n: i,
        ratio: i / 7,
        big: 2 ** 60,
        ok: i % 2 === 0,
        tags: ["a", "b", `${i}`],
        counts: [1, 2.5, i],
        flags: [true, false],
      },
      links: [{ context: parent.spanContext(), attributes: { why: "follows" } }],
    });
    span.addEvent("cache miss", { key: `k${i}` });
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

async function post(body: Uint8Array, protocol: OtlpProtocol): Promise<void> {
  const response = await fetch(receiver.endpoint("traces"), {
    method: "POST",
    headers: {
      "content-type": protocol === "http/json" ? "application/json" : "application/x-protobuf",
    },
    body,
  });
  expect(response.status).toBe(200);
}

const immediateControl = {
  yieldToLoop: () => new Promise<void>((resolve) => setTimeout(resolve, 0)),
  cancelled: () => false,
};

describe.each(["http/protobuf", "http/json"] as const)("sliced encoding over %s", (protocol) => {
  it("decodes to the same spans as the transformer's encoding in one go", async () => {
    const spans = recordVaried(150); // 300 spans: five slices
    expect(spans.length).toBeGreaterThan(4 * ENCODE_SLICE_SIZE);
    const encoding = protocol === "http/json" ? jsonTraceEncoding : protobufTraceEncoding;
    const sliced = await encodeSpansInSlices(spans, encoding, immediateControl);
    expect(sliced?.dropped).toBe(0);
    // JSON in one go through our encoder: the transformer's own writes 2^60 as an int64.
    const whole =
      protocol === "http/json"
        ? encodeSpans(spans, encoding).body
        : ProtobufTraceSerializer.serializeRequest(spans);
    await post(whole as Uint8Array, protocol);
    const expected = receiver.traces();
    receiver.reset();
    await post(sliced?.body as Uint8Array, protocol);
    const received = receiver.traces();
    expect(receiver.requests()).toHaveLength(1);
    const bySpanId = (a: { spanId: string }, b: { spanId: string }) =>
      a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
    expect(received).toHaveLength(spans.length);
    expect([...received].sort(bySpanId)).toEqual([...expected].sort(bySpanId));
  });

  it("gives the event loop a turn between slices of a large batch", async () => {
    const spans = recordVaried(256); // 512 spans: eight slices
    const events: string[] = [];
    const recordingFetch: OtlpFetch = (input, init) => {
      events.push("request");
      return fetch(input, init);
    };
    const exporter = createOtlpTraceExporter({
      endpoint: receiver.endpoint("traces"),
      protocol,
      fetch: recordingFetch,
    });
    const result = new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    // Set after export() returned: fires before the request only if encoding yielded.
    setTimeout(() => events.push("timer"), 0);
    expect((await result).code).toBe(ExportResultCode.SUCCESS);
    expect(events).toEqual(["timer", "request"]);
    expect(await receiver.waitForSpans(512)).toHaveLength(512);
    await exporter.shutdown();
  });
});

describe("sliced encoding and shutdown", () => {
  it("stops a batch being encoded at shutdown, sends nothing and leaves no timer", async () => {
    const spans = recordVaried(512); // 1024 spans: sixteen slices
    const refTimers = () =>
      process.getActiveResourcesInfo().filter((name) => name === "Timeout").length;
    const baseline = refTimers();
    const exporter = createOtlpTraceExporter({ endpoint: receiver.endpoint("traces") });
    const result = new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    const closing = exporter.shutdown();
    // The encoding's pending turn ends at once, not on its timer.
    expect(refTimers()).toBeLessThanOrEqual(baseline);
    await closing;
    expect(refTimers()).toBeLessThanOrEqual(baseline);
    expect(await result).toMatchObject({
      code: ExportResultCode.FAILED,
      error: { code: "ERR_OTLP_SHUTDOWN" },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.requests()).toHaveLength(0);
  });
});
