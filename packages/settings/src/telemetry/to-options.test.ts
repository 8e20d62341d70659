import { createTelemetry, memorySink } from "@groundwork/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSettings } from "../define";
import { SettingsError } from "../errors";
import { telemetrySettings } from "./telemetry-settings";
import { telemetryOptionsFromSettings } from "./to-options";

const Settings = defineSettings(z.object({ telemetry: telemetrySettings }));

describe("telemetryOptionsFromSettings", () => {
  it("maps the default settings", () => {
    const { telemetry } = Settings.defaults();
    const options = telemetryOptionsFromSettings(telemetry, { serviceName: "api" });
    expect(options.logging).toMatchObject({
      level: "info",
      format: "text",
      redactKeys: [],
      limits: { maxLineBytes: 65_536 },
    });
    expect(options.logging?.rateLimit).toBeUndefined();
    expect(options.tracing).toMatchObject({
      enabled: true,
      samplingRatio: 1,
      exporter: {
        endpoint: "http://localhost:4318/v1/traces",
        protocol: "http/protobuf",
        headers: {},
        timeoutMs: 10_000,
      },
      // max_queue_size `auto`: no bound given, so the processor sizes its queue from the rate.
      batch: {
        maxBatchSize: 512,
        scheduledDelayMs: 5000,
        exportTimeoutMs: 30_000,
      },
    });
  });

  it("maps every section of a loaded file, revealing secret headers only in the options", () => {
    const { telemetry } = Settings.parse(`
telemetry:
  logging:
    output: console
    format: json
    verbosity: WARN
    redact_keys: [password]
    rate_limit: { enabled: true, max_events_per_second: 50, burst: 5 }
    max_line_size: 16KiB
  tracing:
    sampling_ratio: 0.25
    rate_limit: { enabled: true, max_events_per_second: 7, burst: 3 }
    exporter:
      endpoint: "https://collector.example:4318/v1/traces"
      protocol: http/json
      headers: { authorization: "Bearer abc" }
      timeout: 2s
      max_queue_size: 100
      max_batch_size: 10
      scheduled_delay: 250ms
      export_timeout: 3s
`);
    const options = telemetryOptionsFromSettings(telemetry, {
      serviceName: "api",
      serviceVersion: "2",
    });
    expect(options).toMatchObject({
      serviceName: "api",
      serviceVersion: "2",
      logging: {
        level: "warn",
        format: "json",
        redactKeys: ["password"],
        rateLimit: { maxEventsPerSecond: 50, burst: 5 },
        limits: { maxLineBytes: 16_384 },
      },
      tracing: {
        samplingRatio: 0.25,
        rateLimit: { maxTracesPerSecond: 7, burst: 3 },
        exporter: {
          endpoint: "https://collector.example:4318/v1/traces",
          protocol: "http/json",
          headers: { authorization: "Bearer abc" },
          timeoutMs: 2000,
        },
        batch: {
          maxQueueSize: 100,
          maxBatchSize: 10,
          scheduledDelayMs: 250,
          exportTimeoutMs: 3000,
        },
      },
    });
    expect(JSON.stringify(telemetry)).not.toContain("Bearer abc");
  });

  it("builds a working telemetry instance, with tracing off when disabled", async () => {
    const { telemetry: s } = Settings.parse("telemetry:\n  tracing:\n    enabled: false\n");
    const sink = memorySink();
    const telemetry = createTelemetry(
      telemetryOptionsFromSettings(s, { serviceName: "api", sinkFor: () => sink }),
    );
    telemetry.log.info("hello");
    telemetry.log.debug("hidden");
    expect(sink.records().map((r) => r.msg)).toEqual(["hello"]);
    expect(telemetry.stats().spans).toBeUndefined();
    await telemetry.shutdown();
  });

  it("caps log lines at logging.max_line_size and refuses a size of 0", () => {
    const { telemetry: s } = Settings.parse("telemetry:\n  logging:\n    max_line_size: 1KiB\n");
    const sink = memorySink();
    const telemetry = createTelemetry(
      telemetryOptionsFromSettings(s, { serviceName: "api", sinkFor: () => sink }),
    );
    telemetry.log.info("big", { body: "x".repeat(5_000) });
    expect(JSON.stringify(sink.records()[0]?.fields).length).toBeLessThan(1024);
    expect(telemetry.stats().logs.oversized).toBe(1);
    expect(() => Settings.parse("telemetry:\n  logging:\n    max_line_size: 0\n")).toThrow(
      /max_line_size/,
    );
  });

  it("refuses file output without a runtime that has files", () => {
    const { telemetry } = Settings.parse(
      "telemetry:\n  logging:\n    output: { file: /tmp/x.log }\n",
    );
    let err: unknown;
    try {
      telemetryOptionsFromSettings(telemetry, { serviceName: "api" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SettingsError);
    expect(err).toMatchObject({ name: "SettingsError", code: "ERR_UNSUPPORTED_LOG_OUTPUT" });
    expect((err as Error).message).toContain("nodeSinkFor from @groundwork/settings/node");
  });

  it("refuses an empty service name when called", () => {
    const { telemetry } = Settings.defaults();
    expect(() => telemetryOptionsFromSettings(telemetry, { serviceName: "" })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
    );
  });
});
