import { useOtlpReceiver } from "@groundwork/test-harness";
import { DiagLogLevel, diag } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import {
  createBatchSpanProcessor,
  createOtlpHttpSender,
  createOtlpTraceExporter,
} from "../src/otlp/index";

// Credentials in an endpoint URL must reach the collector as a header and never be printed.

const receiver = useOtlpReceiver();

const fast = { initialBackoffMs: 1, maxBackoffMs: 5, maxElapsedMs: 2000, maxAttempts: 2 };

function withCredentials(base: string): string {
  return base.replace("http://", "http://tenant:s3cr%40t@") + "?api_key=k3y-v4lue&region=eu";
}

afterEach(() => diag.disable());

describe("credentials in the endpoint URL", () => {
  it("sends user information as an Authorization header, not as part of the URL", async () => {
    const sender = createOtlpHttpSender({ endpoint: withCredentials(receiver.endpoint("traces")) });
    const exporter = createOtlpTraceExporter({
      endpoint: withCredentials(receiver.endpoint("traces")),
    });
    const provider = new BasicTracerProvider({
      spanProcessors: [createBatchSpanProcessor(exporter)],
    });
    provider.getTracer("t").startSpan("with credentials").end();
    await provider.forceFlush();
    const [request] = await receiver.waitForRequests(1);
    expect(request?.status).toBe(200);
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from("tenant:s3cr@t").toString("base64")}`,
    );
    expect(request?.signal).toBe("traces");
    await provider.shutdown();
    await sender.shutdown();
  });

  it("never prints a credential in errors, outcome details or diagnostics", async () => {
    const lines: string[] = [];
    const log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
    diag.setLogger(
      { error: log, warn: log, info: log, debug: log, verbose: log },
      DiagLogLevel.ALL,
    );
    receiver.respondWith(503);
    const http = createOtlpHttpSender({
      endpoint: withCredentials(receiver.endpoint("traces")),
      protocol: "http/json",
      retry: fast,
    });
    const refused = createOtlpHttpSender({
      endpoint: "http://tenant:s3cr%40t@127.0.0.1:1/v1/traces?api_key=k3y-v4lue",
      retry: fast,
    });
    const outcomes = [await http.send("{}"), await refused.send("{}")];
    const exporter = createOtlpTraceExporter({
      endpoint: withCredentials(receiver.endpoint("traces")),
      retry: fast,
    });
    const provider = new BasicTracerProvider({ spanProcessors: [] });
    const s = provider.getTracer("t").startSpan("x");
    s.end();
    const result = await new Promise<{ error?: Error }>((resolve) =>
      exporter.export([s as never], resolve),
    );
    let thrown: unknown;
    try {
      createOtlpHttpSender({ endpoint: "ftp://tenant:s3cr3t@host/?api_key=k3y-v4lue" });
    } catch (error) {
      thrown = error;
    }
    expect(outcomes.map((o) => o.ok)).toEqual([false, false]);
    expect(outcomes[0]).toMatchObject({ reason: "http_status", status: 503 });
    expect(thrown).toMatchObject({ code: "ERR_INVALID_OPTION" });
    const printed = [
      ...outcomes.map((o) => JSON.stringify(o)),
      String(result.error?.message),
      String((result.error?.cause as Error | undefined)?.message),
      String((thrown as Error).message),
      ...lines,
    ].join("\n");
    expect(printed).toContain("[REDACTED]");
    for (const secret of ["s3cr", "s3cr%40t", "s3cr@t", "k3y-v4lue", "tenant:"]) {
      expect(printed).not.toContain(secret);
    }
    await Promise.all([http.shutdown(), refused.shutdown(), exporter.shutdown()]);
  });
});
