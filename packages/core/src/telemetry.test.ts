import { type SpanContext, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { CoreError } from "./errors";
import { log } from "./logging/logger";
import { lineSink, memorySink } from "./logging/sinks";
import { createLogContext, createTelemetry } from "./telemetry";
import { TelemetryContext, withForkedLog } from "./telemetry-context";
import { withSamplingRatio } from "./tracing/sampling-ratio";
import { span } from "./tracing/span";
import { ATTR_LINK_RELATION, FORK_EVENT_NAME, startTrace } from "./tracing/traces";

function setup() {
  const sink = memorySink();
  const exporter = new InMemorySpanExporter();
  const telemetry = createTelemetry({
    serviceName: "svc",
    serviceVersion: "1.0.0",
    logging: { sink, redactKeys: ["password"] },
    tracing: { exporter, batch: { scheduledDelayMs: 10 } },
  });
  return { sink, exporter, telemetry };
}

describe("createTelemetry", () => {
  it("throws ERR_INVALID_OPTION for an empty serviceName, also without tracing", () => {
    for (const tracing of [undefined, false] as const) {
      let error: unknown;
      try {
        createTelemetry({ serviceName: "", ...(tracing === false ? { tracing } : {}) });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CoreError);
      expect(error).toMatchObject({ name: "CoreError", code: "ERR_INVALID_OPTION" });
    }
  });

  it("sets a branch sampling ratio with withSamplingRatio(ratio, fn) and ctx.setSamplingRatio(ratio)", async () => {
    const { exporter, telemetry } = setup();
    await telemetry.run(async () => {
      const value = withSamplingRatio(0, () => startTrace("dropped by fn", () => 1));
      expect(value).toBe(1);
      await TelemetryContext.current()
        .setSamplingRatio(0)
        .run(() => startTrace("dropped by context", async () => undefined));
      await startTrace("kept", async () => undefined);
    });
    await telemetry.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["kept"]);
    await telemetry.shutdown();
  });

  it("withForkedLog(fields, fn) starts the fork with the fields; they do not leak out", async () => {
    const { sink, telemetry } = setup();
    await telemetry.run(async () => {
      await withForkedLog({ job: "reindex" }, async () => {
        await new Promise((r) => setTimeout(r, 1));
        log.info("inside");
      });
      log.info("outside");
    });
    expect(sink.records().map((r) => [r.msg, r.fields])).toEqual([
      ["inside", { job: "reindex" }],
      ["outside", {}],
    ]);
    await telemetry.shutdown();
  });

  it("puts trace ids on log lines inside sampled spans and logs on the span as events", async () => {
    const { sink, exporter, telemetry } = setup();
    await telemetry.run(() =>
      span("handle", async () => {
        log.info("working", { password: "pw", n: 1 });
      }),
    );
    log.info("outside any telemetry context");
    await telemetry.forceFlush();
    const [record] = sink.records();
    const [finished] = exporter.getFinishedSpans();
    expect(record).toMatchObject({ msg: "working", service: "svc", version: "1.0.0" });
    expect(record?.traceId).toBe(finished?.spanContext().traceId);
    expect(record?.spanId).toBe(finished?.spanContext().spanId);
    expect(finished?.events).toHaveLength(1);
    expect(finished?.events[0]?.name).toBe("working");
    expect(finished?.events[0]?.attributes).toEqual({
      "log.severity": "info",
      password: "[REDACTED]",
      n: 1,
    });
    expect(finished?.resource.attributes["service.name"]).toBe("svc");
    expect(telemetry.stats().spans).toMatchObject({ exported: 1, dropped: 0 });
    await telemetry.shutdown();
  });

  it("composes forks as values: a forked log entering a forked trace", async () => {
    const { sink, exporter, telemetry } = setup();
    await telemetry.run(() =>
      span("accept", async () => {
        const conn = TelemetryContext.current().forkLog({ conn: 7 });
        await conn
          .forkLog()
          .forkTrace("request")
          .run(async () => {
            log.addFields({ req: "a" });
            await new Promise((r) => setTimeout(r, 1));
            log.info("in request");
          });
        conn.log.info("conn after");
      }),
    );
    await telemetry.forceFlush();
    const spans = exporter.getFinishedSpans();
    const accept = spans.find((s) => s.name === "accept");
    const request = spans.find((s) => s.name === "request");
    expect(request?.spanContext().traceId).not.toBe(accept?.spanContext().traceId);
    expect(request?.parentSpanContext).toBeUndefined();
    expect(request?.links[0]?.context.spanId).toBe(accept?.spanContext().spanId);
    expect(request?.links[0]?.attributes?.[ATTR_LINK_RELATION]).toBe("forked_from");
    expect(accept?.events.some((e) => e.name === FORK_EVENT_NAME)).toBe(true);
    const [inRequest, after] = sink.records();
    expect(inRequest?.fields).toEqual({ conn: 7, req: "a" });
    expect(inRequest?.traceId).toBe(request?.spanContext().traceId);
    expect(after?.fields).toEqual({ conn: 7 });
    await telemetry.shutdown();
  });

  it("puts trace ids on log records of unsampled traces too, with their trace flags", async () => {
    const sink = memorySink();
    const lines: string[] = [];
    const telemetry = createTelemetry({
      serviceName: "svc",
      logging: { sink },
      tracing: { samplingRatio: 0 },
    });
    const json = createTelemetry({
      serviceName: "svc",
      logging: { sink: lineSink((l) => lines.push(l)) },
      tracing: { samplingRatio: 0 },
    });
    const remote = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let local: SpanContext | undefined;
    await telemetry.run(() =>
      span("unsampled", (s) => {
        local = s.spanContext();
        log.info("local root");
      }),
    );
    await telemetry.run(() =>
      startTrace("continued", { stitchWith: remote }, () => log.info("remote")),
    );
    await json.run(() => startTrace("continued", { stitchWith: remote }, () => log.info("line")));
    await json.run(() => startTrace("new", () => log.info("line")));
    await json.run(() =>
      startTrace("continued", { stitchWith: remote.replace(/-00$/, "-02") }, () =>
        log.info("line"),
      ),
    );
    const [first, second] = sink.records();
    // A new trace's id is random throughout (Level 2 flag 02) though it is not sampled; a
    // continuation keeps what its parent said.
    expect(first).toMatchObject({ traceId: local?.traceId, spanId: local?.spanId, traceFlags: 2 });
    expect(second).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", traceFlags: 0 });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", trace_flags: "00" },
      { trace_id: expect.stringMatching(/^[0-9a-f]{32}$/), trace_flags: "02" },
      { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", trace_flags: "02" },
    ]);
  });

  it("marks records of sampled traces with the trace flags (03: sampled, random trace id)", async () => {
    const lines: string[] = [];
    const telemetry = createTelemetry({
      serviceName: "svc",
      logging: { sink: lineSink((l) => lines.push(l)), format: "text" },
    });
    await telemetry.run(() => span("sampled", () => log.info("x")));
    expect(lines[0]).toMatch(/ trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16} trace_flags=03$/);
  });

  it("installs as the process default for code outside any context", async () => {
    const { sink, exporter, telemetry } = setup();
    telemetry.install();
    log.info("from nowhere");
    expect(sink.records().map((r) => r.msg)).toContain("from nowhere");
    // Plain OpenTelemetry code anywhere now records through this instance.
    trace.getTracer("plain-otel").startSpan("plain span").end();
    await telemetry.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toContain("plain span");
    await telemetry.shutdown();
    await telemetry.shutdown();
  });

  it("works without a tracer of its own", () => {
    const sink = memorySink();
    const telemetry = createTelemetry({ serviceName: "svc", logging: { sink }, tracing: false });
    expect(telemetry.tracing).toBeUndefined();
    telemetry.run(() => log.info("x"));
    expect(sink.records()).toHaveLength(1);
  });
});

describe("createLogContext", () => {
  it("gives code run in it a log of its own: level, fields, redaction, service", () => {
    const sink = memorySink();
    const ctx = createLogContext({
      serviceName: "svc",
      serviceVersion: "2.0.0",
      level: "warn",
      redactKeys: ["token"],
      fields: { region: "eu" },
      sink,
    });
    TelemetryContext.fromOtel(ctx).run(() => {
      log.info("below the level");
      log.warn("kept", { token: "secret" });
    });
    log.warn("outside the context");
    expect(sink.records()).toHaveLength(1);
    expect(sink.records()[0]).toMatchObject({
      level: "warn",
      msg: "kept",
      service: "svc",
      version: "2.0.0",
      fields: { region: "eu", token: "[REDACTED]" },
    });
  });
});
