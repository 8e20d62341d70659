import { counter, createRegistry, defineMetrics } from "@groundwork/metrics";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSettings } from "../define";
import { SettingsError } from "../errors";
import { registryOptionsFromSettings } from "./registry-options";
import { telemetrySettings } from "./telemetry-settings";

const Settings = defineSettings(z.object({ telemetry: telemetrySettings }));

describe("registryOptionsFromSettings", () => {
  it("maps the snake_case settings keys", () => {
    const { telemetry } = Settings.parse(
      "telemetry:\n  metrics:\n    service_name_format: label\n    report_optional: true\n",
    );
    const registry = createRegistry({
      ...registryOptionsFromSettings(telemetry.metrics, { serviceName: "shop" }),
      runtimeInfo: false,
    });
    expect(registry.options).toMatchObject({ serviceNameFormat: "label", reportOptional: true });
    const m = defineMetrics("jobs", { done: counter({ help: "Jobs done" }) }, { registry });
    m.done.inc();
    expect(registry.collect()).toContain('jobs_done_total{service="shop"} 1\n');
  });

  it("maps the defaults, with no service unless one is given", () => {
    const { metrics } = Settings.defaults().telemetry;
    expect(registryOptionsFromSettings(metrics)).toEqual({
      serviceNameFormat: "metric_prefix",
      reportOptional: false,
    });
    const registry = createRegistry({
      ...registryOptionsFromSettings(metrics, { serviceName: "my-shop" }),
      runtimeInfo: false,
    });
    const m = defineMetrics("jobs", { done: counter({ help: "Jobs done" }) }, { registry });
    m.done.inc();
    expect(registry.collect()).toContain("my_shop_jobs_done_total 1\n");
  });

  it("refuses an empty service name", () => {
    const { metrics } = Settings.defaults().telemetry;
    expect(() => registryOptionsFromSettings(metrics, { serviceName: "" })).toThrow(SettingsError);
  });
});
