import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver";

// Protobuf wire format written out by hand (field number << 3 | wire type), so the
// receiver's decoding is checked against bytes no protobuf library produced.
const bytes = (...parts: (number | Uint8Array)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : [...p])));
const text = (s: string) => new TextEncoder().encode(s);
const field = (tag: number, payload: Uint8Array) => bytes(tag, payload.length, payload);
const fixed64 = (value: bigint) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
};

const traceId = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const spanId = Uint8Array.from({ length: 8 }, (_, i) => 0xa0 + i);

// Span: trace_id = 1, span_id = 2, name = 5, kind = 6 (varint), start = 7, end = 8
// (fixed64), attributes = 9 (KeyValue: key = 1, value = 2 → AnyValue.int_value = 3).
const span = bytes(
  field(0x0a, traceId),
  field(0x12, spanId),
  field(0x2a, text("checkout")),
  0x30,
  2, // SPAN_KIND_SERVER
  0x39,
  fixed64(1_700_000_000_123_456_789n),
  0x41,
  fixed64(1_700_000_000_223_456_789n),
  field(0x4a, bytes(field(0x0a, text("http.status")), field(0x12, bytes(0x18, 0xc8, 0x01)))),
);
// ExportTraceServiceRequest.resource_spans = 1 → ResourceSpans.resource = 1,
// scope_spans = 2 → ScopeSpans.scope = 1 (name = 1), spans = 2.
const resource = field(
  0x0a,
  field(0x0a, bytes(field(0x0a, text("service.name")), field(0x12, field(0x0a, text("shop"))))),
);
const scopeSpans = field(0x12, bytes(field(0x0a, field(0x0a, text("gw"))), field(0x12, span)));
const request = field(0x0a, bytes(resource, scopeSpans));

describe("startOtlpReceiver", () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.stop());

  it("decodes a protobuf trace export written by hand", async () => {
    const res = await fetch(receiver.endpoint("traces"), {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: request,
    });
    expect(res.status).toBe(200);
    const [received] = await receiver.waitForSpans(1);
    expect(received).toMatchObject({
      traceId: "0102030405060708090a0b0c0d0e0f10",
      spanId: "a0a1a2a3a4a5a6a7",
      parentSpanId: undefined,
      name: "checkout",
      kind: "SPAN_KIND_SERVER",
      startTimeUnixNano: 1_700_000_000_123_456_789n,
      endTimeUnixNano: 1_700_000_000_223_456_789n,
      attributes: { "http.status": 200 },
      resource: { "service.name": "shop" },
      scope: { name: "gw", version: "" },
    });
  });

  it("decodes OTLP/JSON with hex ids and answers a partial success in protobuf", async () => {
    receiver.reset();
    receiver.respondWith({ status: 200, partialSuccess: { rejected: 3, errorMessage: "full" } });
    const json = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: "0102030405060708090a0b0c0d0e0f10",
                  spanId: "a0a1a2a3a4a5a6a7",
                  parentSpanId: "b0b1b2b3b4b5b6b7",
                  name: "json",
                  startTimeUnixNano: "1",
                  endTimeUnixNano: "2",
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(receiver.endpoint("traces"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(json),
    });
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedSpans: "3", errorMessage: "full" },
    });
    const [received] = await receiver.waitForSpans(1);
    expect(received?.parentSpanId).toBe("b0b1b2b3b4b5b6b7");

    const proto = await fetch(receiver.endpoint("traces"), {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: request,
    });
    // ExportTraceServiceResponse.partial_success = 1 → rejected_spans = 1, error_message = 2.
    expect(new Uint8Array(await proto.arrayBuffer())).toEqual(
      field(0x0a, bytes(0x08, 3, field(0x12, text("full")))),
    );
  });

  it("answers 400 to bytes that are not an export request", async () => {
    receiver.reset();
    const res = await fetch(receiver.endpoint("metrics"), {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: bytes(0x0a, 0x05, 0x01),
    });
    expect(res.status).toBe(400);
    expect(receiver.requests()[0]?.decodeError).toMatch(/index out of range/);
    expect(receiver.metrics()).toEqual([]);
  });
});
