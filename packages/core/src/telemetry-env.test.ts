import { context, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { memorySink } from "./logging/sinks";
import { createTelemetry } from "./telemetry";
import { readTelemetryEnv } from "./telemetry-env";
import { setUninstalledTelemetry } from "./tracing/install-hint";
import { span } from "./tracing/span";

function telemetryWith(env: Record<string, string>, tracing = {}) {
  const sink = memorySink();
  const telemetry = createTelemetry({ serviceName: "svc", logging: { sink }, tracing, env });
  const warnings = () =>
    sink
      .records()
      .filter((r) => r.level === "warn")
      .map((r) => r.msg);
  return { telemetry, sink, warnings };
}

describe("readTelemetryEnv", () => {
  it("reads every supported variable", () => {
    const env = readTelemetryEnv({
      OTEL_SDK_DISABLED: "TRUE",
      OTEL_SERVICE_NAME: "api",
      OTEL_RESOURCE_ATTRIBUTES: "service.name=ignored,k=v%2C1",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/v1/t",
      OTEL_EXPORTER_OTLP_HEADERS: "a=1",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "b=2",
      OTEL_EXPORTER_OTLP_TIMEOUT: "5000",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_BSP_EXPORT_TIMEOUT: "2000",
      OTEL_BSP_MAX_QUEUE_SIZE: "10",
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "5",
      OTEL_LOG_LEVEL: "debug",
    });
    expect(env).toMatchObject({
      disabled: true,
      serviceName: "api",
      resourceAttributes: { k: "v,1" },
      endpoint: "https://traces.example/v1/t",
      headers: { b: "2" },
      timeoutMs: 5000,
      protocol: "http/json",
      samplingRatio: 0.25,
      batch: { scheduledDelayMs: 100, exportTimeoutMs: 2000, maxQueueSize: 10, maxBatchSize: 5 },
      warnings: [],
    });
    expect(readTelemetryEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" }).endpoint).toBe(
      "http://c:4318/v1/traces",
    );
    expect(readTelemetryEnv({}).endpoint).toBeUndefined();
  });

  it("ignores each malformed value with one warning naming it and the default", () => {
    const env = readTelemetryEnv({
      OTEL_SDK_DISABLED: "yes",
      OTEL_RESOURCE_ATTRIBUTES: "novalue",
      OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "=x",
      OTEL_EXPORTER_OTLP_TIMEOUT: "soon",
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_TRACES_SAMPLER: "traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "2",
      OTEL_BSP_MAX_QUEUE_SIZE: "-1",
      OTEL_LOG_LEVEL: "loud",
    });
    expect(env.warnings).toHaveLength(9);
    expect(env.warnings).toContain(
      'ignoring OTEL_EXPORTER_OTLP_PROTOCOL="grpc": expected "http/protobuf" or "http/json"; using "http/protobuf"',
    );
    expect(env).toMatchObject({
      disabled: false,
      samplingRatio: 1,
      batch: {},
      protocol: undefined,
    });
    expect(env.endpoint).toBeUndefined();
    expect(env.timeoutMs).toBeUndefined();
  });

  it("never throws on a hostile source", () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("no env");
        },
      },
    );
    expect(readTelemetryEnv(hostile).warnings).toEqual([]);
  });
});

describe("createTelemetry with an env source", () => {
  it("writes the warnings through its log, once each", () => {
    const t = telemetryWith({ OTEL_BSP_SCHEDULE_DELAY: "later", OTEL_TRACES_SAMPLER: "sometimes" });
    expect(t.warnings()).toEqual([
      'groundwork: ignoring OTEL_TRACES_SAMPLER="sometimes": expected always_on, always_off, traceidratio or their parentbased_ forms; using the default sampler',
      'groundwork: ignoring OTEL_BSP_SCHEDULE_DELAY="later": expected an integer of at least 0; using the default (5000 ms)',
    ]);
  });

  it("takes the service name from OTEL_SERVICE_NAME when the options have none", () => {
    const sink = memorySink();
    const telemetry = createTelemetry({ logging: { sink }, env: { OTEL_SERVICE_NAME: "env-svc" } });
    telemetry.log.info("x");
    expect(sink.records()[0]?.service).toBe("env-svc");
    expect(telemetry.tracing?.resource.attributes["service.name"]).toBe("env-svc");
    expect(() => createTelemetry({ env: {} })).toThrow(/OTEL_SERVICE_NAME/);
  });

  it("samples as OTEL_TRACES_SAMPLER says, unless the options say otherwise", () => {
    const off = telemetryWith({ OTEL_TRACES_SAMPLER: "always_off" });
    off.telemetry.run(() => span("s", () => off.telemetry.log.info("in")));
    expect(off.sink.records()[0]?.traceFlags).toBe(2); // not sampled; the random flag of a new trace id
    const coded = telemetryWith({ OTEL_TRACES_SAMPLER: "always_off" }, { samplingRatio: 1 });
    coded.telemetry.run(() => span("s", () => coded.telemetry.log.info("in")));
    expect(coded.sink.records()[0]?.traceFlags).toBe(3); // sampled, and the Level 2 random flag of a new trace id;
  });

  it("records nothing under OTEL_SDK_DISABLED=true, and builds no exporter from the environment", () => {
    const t = telemetryWith({
      OTEL_SDK_DISABLED: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
    });
    const recording = t.telemetry.run(() => span("s", (s) => s.isRecording()));
    expect(recording).toBe(false);
    expect(t.telemetry.stats().spans).toBeUndefined();
  });
});

describe("forgetting install()", () => {
  afterEach(() => setUninstalledTelemetry(undefined));

  it("warns once when a span outside any telemetry context would be dropped", () => {
    const t = telemetryWith({});
    context.with(context.active(), () => {
      span("lost 1", () => undefined);
      span("lost 2", () => undefined);
    });
    expect(t.warnings()).toEqual([
      'groundwork: span "lost 1" was not recorded: it ran outside telemetry.run() and no telemetry is installed; call telemetry.install() at startup',
    ]);
  });

  it("does not warn inside telemetry.run() or once installed", () => {
    const t = telemetryWith({});
    t.telemetry.run(() => span("kept", () => undefined));
    expect(t.warnings()).toEqual([]);
    t.telemetry.install();
    span("global", () => undefined);
    expect(t.warnings()).toEqual([]);
    trace.disable();
  });
});
