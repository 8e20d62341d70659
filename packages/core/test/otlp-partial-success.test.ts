import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { useOtlpReceiver } from "@groundwork/test-harness";
import { ExportResultCode } from "@opentelemetry/core";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { CoreError } from "../src/index";
import {
  createBatchSpanProcessor,
  createOtlpHttpSender,
  createOtlpTraceExporter,
  MAX_RESPONSE_BYTES,
  type OtlpProtocol,
} from "../src/otlp/index";

const receiver = useOtlpReceiver();

function pipeline(protocol: OtlpProtocol) {
  const exporter = createOtlpTraceExporter({ endpoint: receiver.endpoint("traces"), protocol });
  const processor = createBatchSpanProcessor(exporter, { scheduledDelayMs: 60_000 });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  return { exporter, processor, provider, tracer: provider.getTracer("partial") };
}

describe.each(["http/protobuf", "http/json"] as const)("OTLP partial success (%s)", (protocol) => {
  it("counts the refused spans as rejected, the rest as exported, and does not retry", async () => {
    receiver.respondWith({
      status: 200,
      partialSuccess: { rejected: 2, errorMessage: "2 spans had an invalid trace id" },
    });
    const { processor, provider, tracer } = pipeline(protocol);
    for (let i = 0; i < 5; i++) tracer.startSpan(`span ${i}`).end();
    await provider.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: 3, rejected: 2, failed: 0 });
    expect(receiver.requests()).toHaveLength(1);
    await provider.shutdown();
  });

  it("hands the SDK a success carrying the collector's count and message", async () => {
    receiver.respondWith({ status: 200, partialSuccess: { rejected: 1, errorMessage: "too old" } });
    const { exporter, provider, tracer } = pipeline(protocol);
    const span = tracer.startSpan("late");
    span.end();
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export([span as never], resolve),
    );
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(result.error).toBeInstanceOf(CoreError);
    expect(result.error).toMatchObject({ code: "ERR_OTLP_PARTIAL_SUCCESS", rejected: 1 });
    expect(result.error?.message).toContain("too old");
    await provider.shutdown();
  });

  it("treats a warning without rejected spans as a success with a message", async () => {
    receiver.respondWith({
      status: 200,
      partialSuccess: { rejected: 0, errorMessage: "deprecated attribute" },
    });
    const { processor, provider, tracer } = pipeline(protocol);
    tracer.startSpan("warned").end();
    await provider.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: 1, rejected: 0 });
    await provider.shutdown();
  });

  it("reads an empty partial_success as a full success", async () => {
    receiver.respondWith({ status: 200, partialSuccess: { rejected: 0 } });
    const { exporter, provider, tracer } = pipeline(protocol);
    const span = tracer.startSpan("fine");
    span.end();
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export([span as never], resolve),
    );
    expect(result).toEqual({ code: ExportResultCode.SUCCESS });
    await provider.shutdown();
  });

  it("accepts a 2xx whose body does not decode", async () => {
    receiver.respondWith({
      status: 200,
      body: protocol === "http/json" ? "{not json" : new Uint8Array([0xff, 0xff, 0xff]),
    });
    const { processor, provider, tracer } = pipeline(protocol);
    tracer.startSpan("odd answer").end();
    await provider.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: 1, rejected: 0, failed: 0 });
    await provider.shutdown();
  });
});

describe("reading the response body", () => {
  const servers: { close(): void; closeAllConnections(): void }[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  }

  it("keeps a small body and gives it back", async () => {
    const endpoint = await serve((_req, res) => res.end(Buffer.from([8, 1])));
    const sender = createOtlpHttpSender({ endpoint });
    const outcome = await sender.send(new Uint8Array(0));
    expect(outcome).toMatchObject({ ok: true, attempts: 1 });
    expect(outcome.ok && [...(outcome.response ?? [])]).toEqual([8, 1]);
    await sender.shutdown();
  });

  it("drops an oversized body, declared or streamed, and still succeeds", async () => {
    const big = Buffer.alloc(MAX_RESPONSE_BYTES + 1, 1);
    for (const chunked of [false, true]) {
      const endpoint = await serve((_req, res) => {
        if (chunked) {
          // No content-length: the size is only known while reading.
          res.write(big.subarray(0, 1000));
          res.end(big.subarray(1000));
        } else {
          res.end(big);
        }
      });
      const sender = createOtlpHttpSender({ endpoint });
      const outcome = await sender.send(new Uint8Array(0));
      expect(outcome).toEqual({ ok: true, attempts: 1 });
      await sender.shutdown();
    }
  });

  it("does not wait past the attempt timeout for a body that never finishes", async () => {
    const endpoint = await serve((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("partial"); // …and nothing more
    });
    const sender = createOtlpHttpSender({ endpoint, timeoutMs: 200 });
    const started = Date.now();
    const outcome = await sender.send(new Uint8Array(0));
    expect(outcome).toEqual({ ok: true, attempts: 1 });
    expect(Date.now() - started).toBeLessThan(2_000);
    await sender.shutdown();
  });
});
