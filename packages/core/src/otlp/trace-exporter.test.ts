import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { BasicTracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { CoreError } from "../errors";
import type { OtlpFetch, OtlpFetchInit } from "./fetch";
import { createServiceResource } from "./resource";
import { createOtlpTraceExporter, DEFAULT_OTLP_TRACES_ENDPOINT } from "./trace-exporter";

function spans(n: number): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  const provider = new BasicTracerProvider({
    resource: createServiceResource({ serviceName: "unit" }),
    spanProcessors: [
      {
        onStart: () => {},
        onEnd: (span) => out.push(span),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  for (let i = 0; i < n; i++) provider.getTracer("t").startSpan(`s${i}`).end();
  return out;
}

function exportOnce(exporter: ReturnType<typeof createOtlpTraceExporter>, batch: ReadableSpan[]) {
  return new Promise<ExportResult>((resolve) => exporter.export(batch, resolve));
}

function answering(status: number) {
  const calls: { url: string; init: OtlpFetchInit }[] = [];
  const fetch: OtlpFetch = async (url, init) => {
    calls.push({ url, init });
    return new Response(null, { status });
  };
  return { fetch, calls };
}

describe("createOtlpTraceExporter", () => {
  it("posts protobuf to the default endpoint and reports success", async () => {
    const { fetch, calls } = answering(200);
    const exporter = createOtlpTraceExporter({ fetch });
    expect(await exportOnce(exporter, spans(2))).toEqual({ code: ExportResultCode.SUCCESS });
    expect(calls[0]?.url).toBe(DEFAULT_OTLP_TRACES_ENDPOINT);
    expect(calls[0]?.init.headers["content-type"]).toBe("application/x-protobuf");
    expect(calls[0]?.init.body).toBeInstanceOf(Uint8Array);
  });

  it("posts OTLP/JSON with hex ids when asked", async () => {
    const { fetch, calls } = answering(200);
    const exporter = createOtlpTraceExporter({ fetch, protocol: "http/json" });
    const batch = spans(1);
    await exportOnce(exporter, batch);
    const body = calls[0]?.init.body;
    const text = typeof body === "string" ? body : new TextDecoder().decode(body);
    const json = JSON.parse(text);
    const span = json.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.traceId).toBe(batch[0]?.spanContext().traceId);
    expect(span.name).toBe("s0");
  });

  it("reports a rejected batch as FAILED with a CoreError", async () => {
    const { fetch } = answering(400);
    const result = await exportOnce(createOtlpTraceExporter({ fetch }), spans(1));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toBeInstanceOf(CoreError);
    expect(result.error).toMatchObject({
      code: "ERR_OTLP_HTTP_STATUS",
      status: 400,
      retryable: false,
    });
  });

  it("reports spans it cannot encode as FAILED without sending", async () => {
    const { fetch, calls } = answering(200);
    const broken = { name: "broken" } as unknown as ReadableSpan;
    const result = await exportOnce(createOtlpTraceExporter({ fetch }), [broken]);
    expect(result.error).toMatchObject({ code: "ERR_OTLP_SERIALIZATION" });
    expect(calls).toHaveLength(0);
  });

  it("waits for exports in flight on forceFlush and refuses after shutdown", async () => {
    let release: (() => void) | undefined;
    const fetch: OtlpFetch = () =>
      new Promise((resolve) => {
        release = () => resolve(new Response(null, { status: 200 }));
      });
    const exporter = createOtlpTraceExporter({ fetch });
    const results: ExportResult[] = [];
    exporter.export(spans(1), (r) => results.push(r));
    let flushed = false;
    const flushing = exporter.forceFlush().then(() => {
      flushed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(flushed).toBe(false);
    release?.();
    await flushing;
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }]);

    await exporter.shutdown();
    const after = await exportOnce(exporter, spans(1));
    expect(after.error).toMatchObject({ code: "ERR_OTLP_SHUTDOWN" });
  });

  it("swallows a throwing result callback", async () => {
    const { fetch } = answering(200);
    const exporter = createOtlpTraceExporter({ fetch });
    exporter.export(spans(1), () => {
      throw new Error("callback bug");
    });
    await expect(exporter.forceFlush()).resolves.toBeUndefined();
  });
});

describe("createServiceResource", () => {
  it("describes the service and the SDK", () => {
    const resource = createServiceResource({
      serviceName: "checkout",
      serviceVersion: "2.0.0",
      attributes: { "service.name": "ignored", "deployment.environment.name": "prod" },
    });
    expect(resource.attributes).toMatchObject({
      "service.name": "checkout",
      "service.version": "2.0.0",
      "deployment.environment.name": "prod",
      "telemetry.sdk.name": "opentelemetry",
      "telemetry.distro.name": "groundwork",
    });
    expect(resource.attributes["telemetry.sdk.language"]).toEqual(expect.any(String));
    expect(resource.attributes["telemetry.sdk.version"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(resource.asyncAttributesPending).toBeFalsy();
  });

  it("leaves service.version out when unknown", () => {
    const resource = createServiceResource({ serviceName: "checkout" });
    expect(resource.attributes["service.version"]).toBeUndefined();
    expect(resource.attributes["service.name"]).toBe("checkout");
  });
});
