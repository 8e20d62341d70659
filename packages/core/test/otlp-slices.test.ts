import { useOtlpReceiver } from "@groundwork/test-harness";
import { recordVariedSpans } from "@groundwork/test-harness/spans";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
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
    const spans = recordVariedSpans(150); // 300 spans: five slices
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
    const spans = recordVariedSpans(256); // 512 spans: eight slices
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
    const spans = recordVariedSpans(512); // 1024 spans: sixteen slices
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
