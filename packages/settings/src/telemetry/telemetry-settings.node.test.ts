import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSettings } from "../define";
import { telemetrySettings } from "./telemetry-settings";

const Settings = defineSettings(z.object({ telemetry: telemetrySettings }));

describe("telemetrySettings", () => {
  it("renders the committed golden default YAML", async () => {
    await expect(Settings.defaultYaml()).toMatchFileSnapshot("./telemetry-settings.golden.yaml");
  });

  it("has a doc comment above every key at every depth", () => {
    const lines = Settings.defaultYaml().split("\n");
    const keys = lines.flatMap((line, i) => (/^\s*[a-z_]+:/.test(line) ? [i] : []));
    // Every section and field of the telemetry settings, nested keys included.
    expect(keys.length).toBeGreaterThanOrEqual(30);
    const undocumented = keys
      .filter((i) => !lines[i - 1]?.trim().startsWith("#"))
      .map((i) => lines[i]);
    expect(undocumented).toEqual([]);
  });

  it("accepts log levels in any case, as core does", () => {
    for (const written of ["debug", "DEBUG", "Debug", "warn", "FATAL"]) {
      const value = Settings.parse(`telemetry:\n  logging:\n    verbosity: ${written}\n`);
      expect(value.telemetry.logging.verbosity).toBe(written.toLowerCase());
    }
    expect(() => Settings.parse("telemetry:\n  logging:\n    verbosity: loud\n")).toThrow(
      /telemetry\.logging\.verbosity: expected a log level: trace, debug, info, warn, error or fatal \(in any case\), got "loud" \(<input>:3:16\)/,
    );
  });

  it("loads its golden file back to the defaults", () => {
    expect(Settings.parse(Settings.defaultYaml())).toEqual(Settings.defaults());
    expect(Settings.defaults().telemetry).toMatchObject({
      logging: { output: "terminal", format: "text", verbosity: "info", redact_keys: [] },
      tracing: { enabled: true, sampling_ratio: 1, exporter: { timeout: 10_000, headers: {} } },
      metrics: { service_name_format: "metric_prefix", report_optional: false },
      server: { enabled: true, addr: "127.0.0.1:0" },
    });
  });

  it("validates zod-only too, without the loader", () => {
    expect(telemetrySettings.parse(undefined)).toEqual(Settings.defaults().telemetry);
    expect(() => telemetrySettings.parse({ tracing: { sampling_ratio: 2 } })).toThrow();
  });

  it("accepts a log file output and reports the sampling bound", () => {
    const value = Settings.parse(
      "telemetry:\n  logging:\n    output:\n      file: /var/log/app.log\n    format: json\n",
    );
    expect(value.telemetry.logging.output).toEqual({ file: "/var/log/app.log" });
    expect(() => Settings.parse("telemetry:\n  tracing:\n    sampling_ratio: 1.5\n")).toThrow(
      /telemetry\.tracing\.sampling_ratio: expected number ≤ 1, got 1\.5 \(<input>:3:21\)/,
    );
  });
});
