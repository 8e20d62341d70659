import { describe, expect, it } from "vitest";
import { WorkerError } from "./errors";
import { instrument, instrumentDO } from "./index";
import { firstPathSegment, resolveOptions } from "./options";
import { otlpJson } from "./otlp-json";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as WorkerError).name).toBe("WorkerError");
    return (error as WorkerError).code;
  }
  return undefined;
}

const handler = { fetch: () => new Response("ok") };

describe("options", () => {
  it("throws ERR_INVALID_OPTION at construction for invalid options", () => {
    expect(codeOf(() => instrument(handler, { serviceName: "" }))).toBe("ERR_INVALID_OPTION");
    expect(
      codeOf(() => instrument(handler, { serviceName: "a", tracing: { samplingRatio: 2 } })),
    ).toBe("ERR_INVALID_OPTION");
    expect(
      codeOf(() => instrument(handler, { serviceName: "a", otlp: { endpoint: "ftp://x" } })),
    ).toBe("ERR_INVALID_OPTION");
    expect(
      codeOf(() => instrument(handler, { serviceName: "a", logging: { maxRecords: 0 } })),
    ).toBe("ERR_INVALID_OPTION");
    expect(
      codeOf(() => instrument(handler, { serviceName: "a", logging: { level: "loud" as "info" } })),
    ).toBe("ERR_INVALID_OPTION");
    expect(codeOf(() => instrument(handler, { serviceName: "a", exportDelayMs: -1 }))).toBe(
      "ERR_INVALID_OPTION",
    );
    expect(codeOf(() => instrument(handler, null as never))).toBe("ERR_INVALID_OPTION");
  });

  it("checks the duration buckets at construction; a trailing +Inf is implicit", () => {
    for (const durationBuckets of [
      [0.5, 0.1],
      [0.1, Number.NaN],
      [Number.POSITIVE_INFINITY, 1],
    ]) {
      expect(
        codeOf(() => instrument(handler, { serviceName: "a", metrics: { durationBuckets } })),
      ).toBe("ERR_INVALID_OPTION");
    }
    const resolved = resolveOptions(
      { serviceName: "a", metrics: { durationBuckets: [0.1, 1, Number.POSITIVE_INFINITY] } },
      {},
    );
    expect(resolved.metrics?.durationBuckets).toEqual([0.1, 1]);
  });

  it("gathers exports over 100 ms by default; 0 exports at the end of each invocation", () => {
    expect(resolveOptions({ serviceName: "a" }, {}).exportDelayMs).toBe(100);
    expect(resolveOptions({ serviceName: "a", exportDelayMs: 0 }, {}).exportDelayMs).toBe(0);
  });

  it("throws ERR_INVALID_HANDLER for something that is not a handler", () => {
    expect(codeOf(() => instrument(42 as never, { serviceName: "a" }))).toBe("ERR_INVALID_HANDLER");
    expect(codeOf(() => instrumentDO({} as never, { serviceName: "a" }))).toBe(
      "ERR_INVALID_HANDLER",
    );
  });

  it("accepts a function of env without calling it at construction", () => {
    let called = false;
    const wrapped = instrument(handler, () => {
      called = true;
      return { serviceName: "a" };
    });
    expect(typeof wrapped.fetch).toBe("function");
    expect(called).toBe(false);
  });

  it("reads the collector and the debug switch from env", () => {
    const resolved = resolveOptions(
      { serviceName: "a" },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com/",
        OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20t,x-tenant=7",
        DEBUG: "1",
      },
    );
    expect(resolved.otlp).toMatchObject({
      endpoint: "https://otel.example.com",
      headers: { authorization: "Bearer t", "x-tenant": "7" },
    });
    expect(resolved.logLevel).toBe("debug");
    expect(resolveOptions({ serviceName: "a" }, { DEBUG: "0" }).logLevel).toBe("info");
    expect(resolveOptions({ serviceName: "a" }, {}).otlp).toBeUndefined();
    expect(
      resolveOptions(
        { serviceName: "a", logging: { debugVariable: "VERBOSE" } },
        { VERBOSE: "yes" },
      ).logLevel,
    ).toBe("debug");
  });

  it("reads the protocol from env, http/json or else the default", () => {
    const endpoint = "https://otel.example.com";
    const protocolOf = (value: string) =>
      resolveOptions(
        { serviceName: "a" },
        { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: value },
      ).otlp?.protocol;
    expect(protocolOf("http/json")).toBe("http/json");
    expect(protocolOf("http/protobuf")).toBe("http/protobuf");
    expect(protocolOf("grpc")).toBe("http/protobuf");
  });

  it("accepts the JSON encoders of @groundwork/worker/otlp-json as otlpJson, and nothing else", () => {
    expect(resolveOptions({ serviceName: "a", otlpJson }, {}).otlpJson).toBe(otlpJson);
    expect(
      codeOf(() => resolveOptions({ serviceName: "a", otlpJson: {} as typeof otlpJson }, {})),
    ).toBe("ERR_INVALID_OPTION");
  });

  it("takes the first path segment as the default resource", () => {
    expect(firstPathSegment(new Request("https://x.test/orders/42?a=1"))).toBe("/orders");
    expect(firstPathSegment(new Request("https://x.test/"))).toBe("/");
    expect(firstPathSegment(new Request("https://x.test/health"))).toBe("/health");
  });
});
